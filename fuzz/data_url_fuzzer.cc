// Images sent inline: "data:image/...;base64,..." URLs and bare base64, through
// DecodeImageReference (media type, size limit, base64, decode within the pixel limit).
// Base64Decode alone must accept only canonical base64: 3 bytes per 4 digits.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "corgi/core/check.h"
#include "fuzz_server_limits.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const corgi::server::ServerLimits limits = corgi::fuzz::FuzzServerLimits();
  std::string_view ref(reinterpret_cast<const char*>(data), size);
  std::string code;
  corgi::StatusOr<corgi::RgbImage> image =
      corgi::server::DecodeImageReference(ref, true, limits, &code);
  if (image.ok())
    CORGI_CHECK(image->height * image->width <= limits.max_image_pixels);
  else
    CORGI_CHECK(!code.empty());
  if (std::optional<std::string> bytes = corgi::server::Base64Decode(ref)) {
    size_t digits = 0;
    for (char c : ref)
      digits += std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '/';
    CORGI_CHECK(bytes->size() == digits * 3 / 4)
        << bytes->size() << " bytes from " << digits << " digits";
  }
  return 0;
}
