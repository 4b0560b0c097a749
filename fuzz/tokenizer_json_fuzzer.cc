// tokenizer.json from a model directory. A file the loader accepts must give a tokenizer
// that encodes and decodes without crashing (the input's own bytes are used as text).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "corgi/core/check.h"
#include "corgi/tokenizer/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  corgi::TokenizerOptions options;
  options.word_cache_capacity = 16;
  corgi::StatusOr<corgi::Tokenizer> tok = corgi::Tokenizer::FromJson(text, "fuzz.json", options);
  if (!tok.ok()) return 0;
  std::vector<int32_t> ids = tok->Encode(text.substr(0, 256));
  for (int32_t id : ids) CORGI_CHECK(id >= 0 && id < tok->vocab_size()) << id;
  CORGI_CHECK(tok->Decode(ids, /*skip_special=*/true).ok());
  std::vector<int32_t> every_id;
  for (int32_t id = 0; id < tok->vocab_size() && id < 4096; ++id)
    if (tok->TokenBytes(id)) every_id.push_back(id);
  CORGI_CHECK(tok->Decode(every_id, /*skip_special=*/false).ok());
  return 0;
}
