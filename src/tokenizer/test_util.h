// Shared helpers for the tokenizer tests: the real Qwen tokenizers, loaded once.
#pragma once

#include <string>

#include "corgi/tokenizer/tokenizer.h"

namespace corgi::testing {

inline std::string SharedData(const std::string& rel) {
  return std::string(CORGI_SHARED_DATA) + "/" + rel;
}

// Qwen3 / Qwen3-VL vocabulary (specials up to 151668). Aborts the test binary if missing.
inline const Tokenizer& Qwen3Tokenizer() {
  static const Tokenizer* tok = [] {
    StatusOr<Tokenizer> t = Tokenizer::Load(SharedData("tokenizer/qwen3-derived/tokenizer.json"));
    CORGI_CHECK(t.ok()) << t.status().ToString();
    return new Tokenizer(std::move(t).value());
  }();
  return *tok;
}

// Qwen2.5-VL-7B-Instruct's tokenizer.json (specials up to 151664), given as a directory.
inline const Tokenizer& Qwen25VlTokenizer() {
  static const Tokenizer* tok = [] {
    StatusOr<Tokenizer> t = Tokenizer::Load(SharedData("tokenizer/qwen2.5-vl-7b-instruct"));
    CORGI_CHECK(t.ok()) << t.status().ToString();
    return new Tokenizer(std::move(t).value());
  }();
  return *tok;
}

}  // namespace corgi::testing
