// The Qwen3 tokenizer on arbitrary text (user questions, model output) and arbitrary ids.
//  * Encode/EncodeOrdinary never fail; plain text decodes back to its NFC form (invalid
//    UTF-8 first replaced by U+FFFD): byte-level BPE loses nothing.
//  * Decode of arbitrary ids is an error for unknown ids, never a crash; the streaming
//    decoder's pieces add up to Decode.
#include <utf8proc.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "corgi/core/check.h"
#include "corgi/tokenizer/utf8.h"
#include "fuzz_tokenizer.h"

namespace {

std::string Nfc(const std::string& s) {
  utf8proc_uint8_t* out = nullptr;
  utf8proc_ssize_t n = utf8proc_map(
      reinterpret_cast<const utf8proc_uint8_t*>(s.data()), static_cast<utf8proc_ssize_t>(s.size()),
      &out, static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  CORGI_CHECK(n >= 0) << utf8proc_errmsg(n);
  std::string result(reinterpret_cast<const char*>(out), static_cast<size_t>(n));
  std::free(out);
  return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const corgi::Tokenizer& tok = corgi::fuzz::Qwen3Tokenizer();
  std::string_view text(reinterpret_cast<const char*>(data), size);

  std::vector<int32_t> ids = tok.Encode(text);
  for (int32_t id : ids) CORGI_CHECK(id >= 0 && id < tok.vocab_size()) << id;
  CORGI_CHECK(tok.Decode(ids, /*skip_special=*/false).ok());
  CORGI_CHECK(tok.Decode(ids, /*skip_special=*/true).ok());

  std::vector<int32_t> plain;
  tok.EncodeOrdinaryAppend(text, &plain);
  corgi::StatusOr<std::string> back = tok.Decode(plain, /*skip_special=*/false);
  CORGI_CHECK(back.ok()) << back.status().ToString();
  CORGI_CHECK(*back == Nfc(corgi::Utf8Sanitize(text))) << "plain text does not round-trip";

  // The same bytes read as ids (4 bytes each, little endian).
  std::vector<int32_t> raw(size / 4);
  if (!raw.empty()) std::memcpy(raw.data(), data, raw.size() * 4);
  corgi::StatusOr<std::string> decoded = tok.Decode(raw, /*skip_special=*/false);
  corgi::TokenStreamDecoder stream(&tok, /*skip_special=*/false);
  std::string pieces;
  bool stream_ok = true;
  for (int32_t id : raw) {
    corgi::StatusOr<std::string> piece = stream.Push(id);
    if (!piece.ok()) {
      stream_ok = false;
      break;
    }
    pieces += *piece;
  }
  pieces += stream.Finish();
  CORGI_CHECK(stream_ok == decoded.ok());
  if (decoded.ok()) CORGI_CHECK(pieces == *decoded) << "streamed pieces differ from Decode";
  return 0;
}
