// Exact parity with reference tokenizations made by other implementations (Hugging Face
// tokenizers/transformers, via llama.cpp, transformers and onnxruntime-extensions tests).
#include <gtest/gtest.h>
#include <utf8proc.h>

#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>

#include "corgi/core/mapped_file.h"
#include "corgi/tokenizer/tokenizer.h"
#include "tokenizer/test_util.h"

namespace corgi {
namespace {

using nlohmann::json;
using testing::Qwen3Tokenizer;
using testing::SharedData;
using V = std::vector<int32_t>;

std::string ReadOrDie(const std::string& path) {
  StatusOr<std::string> s = ReadFileToString(path);
  CORGI_CHECK(s.ok()) << s.status().ToString();
  return *s;
}

std::string Nfc(const std::string& s) {
  utf8proc_uint8_t* out = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                              static_cast<utf8proc_ssize_t>(s.size()), &out,
                              static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  CORGI_CHECK(n >= 0);
  std::string r(reinterpret_cast<char*>(out), n);
  std::free(out);
  return r;
}

// Checks ids against the reference and the round trip decode(encode(x)) == NFC(x).
void ExpectEncodes(const Tokenizer& tok, const std::string& text, const V& want,
                   const std::string& label) {
  const V got = tok.Encode(text);
  EXPECT_EQ(got, want) << label << ": " << text.substr(0, 80);
  StatusOr<std::string> back = tok.Decode(got, /*skip_special=*/false);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, Nfc(text)) << label << " round trip";
}

// llama.cpp's format: .inp holds each case followed by "\n__ggml_vocab_test__\n"; .out has
// one line per case, the ids each preceded by a space (an empty line for no ids). Both
// files were made with HF AutoTokenizer.encode(text, add_special_tokens=False).
void CheckLlamaCppPair(const std::string& stem) {
  const std::string inp = ReadOrDie(SharedData("tokenizer_tests/llama.cpp/" + stem + ".inp"));
  const std::string out = ReadOrDie(SharedData("tokenizer_tests/llama.cpp/" + stem + ".out"));
  const std::string sep = "\n__ggml_vocab_test__\n";
  std::vector<std::string> cases;
  for (size_t pos = 0; pos < inp.size();) {
    const size_t hit = inp.find(sep, pos);
    ASSERT_NE(hit, std::string::npos) << "case without separator at byte " << pos;
    cases.push_back(inp.substr(pos, hit - pos));
    pos = hit + sep.size();
  }
  std::vector<V> expected;
  std::istringstream lines(out);
  for (std::string line; std::getline(lines, line);) {
    V ids;
    std::istringstream fields(line);
    for (int64_t id; fields >> id;) ids.push_back(static_cast<int32_t>(id));
    expected.push_back(ids);
  }
  ASSERT_EQ(cases.size(), 46u);
  ASSERT_EQ(expected.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    ExpectEncodes(Qwen3Tokenizer(), cases[i], expected[i], stem + " case " + std::to_string(i));
  }
}

// Two versions: the current file, and c392e50 whose second case is "Führer" instead of
// "Äpfel". Both are HF outputs for the same vocabulary, so both must match.
TEST(ReferenceTest, LlamaCppQwen2Current) { CheckLlamaCppPair("ggml-vocab-qwen2.gguf"); }
TEST(ReferenceTest, LlamaCppQwen2OlderVersion) {
  CheckLlamaCppPair("ggml-vocab-qwen2.gguf.c392e50");
}

TEST(ReferenceTest, TransformersQwen2Integration) {
  const json j =
      json::parse(ReadOrDie(SharedData("tokenizer_tests/transformers_qwen2_integration.json")));
  ASSERT_EQ(j["cases"].size(), 3u);
  int n = 0;
  for (const json& c : j["cases"]) {
    ExpectEncodes(Qwen3Tokenizer(), c["text"], c["ids"].get<V>(),
                  "transformers " + std::to_string(n++));
  }
  // The Qwen2.5-VL file is the same vocabulary and merges.
  for (const json& c : j["cases"]) {
    EXPECT_EQ(testing::Qwen25VlTokenizer().Encode(c["text"].get<std::string>()), c["ids"].get<V>());
  }
}

// tests/data/tokenizer/hf_cases.json: edge cases and seeded random strings encoded by HF
// tokenizers 0.23.3 (see make_hf_cases.py beside it).
TEST(ReferenceTest, HuggingFaceTokenizersCases) {
  const json j = json::parse(ReadOrDie(std::string(CORGI_TEST_DATA) + "/tokenizer/hf_cases.json"));
  ASSERT_GT(j["cases"].size(), 300u);
  int n = 0;
  for (const json& c : j["cases"]) {
    ExpectEncodes(Qwen3Tokenizer(), c["text"], c["ids"].get<V>(), "hf case " + std::to_string(n++));
  }
}

// The encoding half of onnxruntime-extensions' Qwen3 chat test (the template half is in
// chat_template_test.cc).
TEST(ReferenceTest, OnnxruntimeExtensionsQwen3ChatText) {
  const json j =
      json::parse(ReadOrDie(SharedData("tokenizer_tests/onnxruntime-extensions_qwen3_chat.json")));
  const V want = j["expected_ids"].get<V>();
  EXPECT_EQ(Qwen3Tokenizer().Encode(j["expected_text"].get<std::string>()), want);
  EXPECT_EQ(*Qwen3Tokenizer().Decode(want, /*skip_special=*/true),
            j["expected_decode_skip_special"]);
  EXPECT_EQ(*Qwen3Tokenizer().Decode(want, /*skip_special=*/false), j["expected_text"]);
}

}  // namespace
}  // namespace corgi
