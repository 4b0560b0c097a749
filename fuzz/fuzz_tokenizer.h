// The real Qwen3 tokenizer for the tokenizer and chat-template fuzzers, loaded once at start:
// $CORGI_FUZZ_TOKENIZER, else the shared test data's qwen3-derived/tokenizer.json.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>

#include "corgi/tokenizer/tokenizer.h"

namespace corgi::fuzz {

inline const Tokenizer& Qwen3Tokenizer() {
  static const Tokenizer* tokenizer = [] {
    const char* env = std::getenv("CORGI_FUZZ_TOKENIZER");
    std::string path =
        env != nullptr ? env
                       : std::string(CORGI_SHARED_DATA) + "/tokenizer/qwen3-derived/tokenizer.json";
    StatusOr<Tokenizer> loaded = Tokenizer::Load(path);
    if (!loaded.ok()) {
      std::fprintf(stderr, "fuzz: cannot load the tokenizer (set CORGI_FUZZ_TOKENIZER): %s\n",
                   loaded.status().ToString().c_str());
      std::exit(2);
    }
    return new Tokenizer(std::move(loaded).value());
  }();
  return *tokenizer;
}

}  // namespace corgi::fuzz

// Loads the tokenizer before the first input: under ASan it takes seconds, which would
// otherwise count against the first input's -timeout.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  corgi::fuzz::Qwen3Tokenizer();
  return 0;
}
