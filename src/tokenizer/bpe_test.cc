// BPE mechanics on a tiny hand-made tokenizer.json, and the two merge loops against each
// other on the real merge table.
#include "tokenizer/bpe.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>

#include "corgi/core/mapped_file.h"
#include "corgi/tokenizer/tokenizer.h"
#include "tokenizer/byte_level.h"
#include "tokenizer/pretokenizer.h"
#include "tokenizer/test_util.h"
#include "tokenizer/tokenizer_data.h"

namespace corgi {
namespace {

using internal::BytesToVocabSpelling;
using nlohmann::json;

// Ids 0..255 are the byte tokens (id == byte); then ab=256, abc=257, " a"=258, bc=259,
// aa=260 with merge ranks in that order. Added: <|x|>=300 (special), <|xy|>=301 (special),
// <think>=302 (not special).
json TinyTokenizer(bool pair_merges) {
  json vocab = json::object();
  for (int b = 0; b < 256; ++b)
    vocab[BytesToVocabSpelling(std::string(1, static_cast<char>(b)))] = b;
  const std::vector<std::pair<std::string, std::string>> merges = {
      {"a", "b"}, {"ab", "c"}, {BytesToVocabSpelling(" "), "a"}, {"b", "c"}, {"a", "a"}};
  json merge_list = json::array();
  int id = 256;
  for (const auto& [a, b] : merges) {
    vocab[a + b] = id++;
    merge_list.push_back(pair_merges ? json::array({a, b}) : json(a + " " + b));
  }
  json added = json::array();
  const std::tuple<int, const char*, bool> tokens[] = {
      {300, "<|x|>", true}, {301, "<|xy|>", true}, {302, "<think>", false}};
  for (const auto& [tid, content, special] : tokens) {
    added.push_back({{"id", tid},
                     {"content", content},
                     {"special", special},
                     {"lstrip", false},
                     {"rstrip", false},
                     {"single_word", false},
                     {"normalized", false}});
  }
  json split = {{"type", "Split"},
                {"pattern", {{"Regex", std::string(internal::kQwen2PretokenizerRegex)}}},
                {"behavior", "Isolated"},
                {"invert", false}};
  json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", false}};
  json pre = {{"type", "Sequence"}, {"pretokenizers", json::array({split, byte_level})}};
  return {{"version", "1.0"},
          {"added_tokens", added},
          {"normalizer", {{"type", "NFC"}}},
          {"pre_tokenizer", pre},
          {"decoder", {{"type", "ByteLevel"}}},
          {"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", merge_list}}}};
}

// Writes `j` as tokenizer.json in a fresh temporary directory and loads the directory.
StatusOr<Tokenizer> LoadFromTempDir(const json& j, const std::string& name) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("corgi_tok_" + name + "_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "tokenizer.json") << j.dump();
  StatusOr<Tokenizer> tok = Tokenizer::Load(dir.string());
  std::filesystem::remove_all(dir);
  return tok;
}

class TinyBpeTest : public ::testing::TestWithParam<bool> {};

TEST_P(TinyBpeTest, MergesByRankLeftmostFirst) {
  StatusOr<Tokenizer> tok =
      LoadFromTempDir(TinyTokenizer(GetParam()), GetParam() ? "pairs" : "strings");
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  using V = std::vector<int32_t>;
  EXPECT_EQ(tok->Encode("abc"), (V{257}));       // ab (rank 0) first, then ab+c
  EXPECT_EQ(tok->Encode(" abc"), (V{32, 257}));  // ab beats " a" (rank 2)
  EXPECT_EQ(tok->Encode("bc"), (V{259}));
  EXPECT_EQ(tok->Encode("aaa"), (V{260, 'a'}));  // leftmost of equal ranks
  EXPECT_EQ(tok->Encode("aab"), (V{'a', 256}));  // ab (0) before aa (4)
  EXPECT_EQ(tok->Encode(" a"), (V{258}));
  EXPECT_EQ(tok->vocab_size(), 303);
  EXPECT_EQ(tok->TokenToId("abc"), 257);
  EXPECT_EQ(tok->IdToToken(258), BytesToVocabSpelling(" a"));
}

TEST_P(TinyBpeTest, AddedTokensSplitFirstLongestWins) {
  StatusOr<Tokenizer> tok = LoadFromTempDir(TinyTokenizer(GetParam()), "added");
  ASSERT_TRUE(tok.ok()) << tok.status().ToString();
  using V = std::vector<int32_t>;
  EXPECT_EQ(tok->Encode("<|xy|>"), (V{301}));
  EXPECT_EQ(tok->Encode("ab<|x|>ab"), (V{256, 300, 256}));
  EXPECT_EQ(tok->Encode("<|x|<|x|>"), (V{'<', '|', 'x', '|', 300}));
  EXPECT_EQ(tok->Encode("<think>abc"), (V{302, 257}));
  V ordinary;
  tok->EncodeOrdinaryAppend("<|x|>", &ordinary);
  EXPECT_EQ(ordinary, (V{'<', '|', 'x', '|', '>'}));
  // Only tokens flagged special are skipped.
  EXPECT_EQ(*tok->Decode(V{300, 257, 302, 301}, /*skip_special=*/true), "abc<think>");
  EXPECT_EQ(*tok->Decode(V{300, 257}, /*skip_special=*/false), "<|x|>abc");
  EXPECT_TRUE(tok->IsSpecial(300));
  EXPECT_FALSE(tok->IsSpecial(302));
  // Ids 261..299 are a hole in the id space.
  EXPECT_FALSE(tok->Decode(V{280}, false).ok());
  EXPECT_FALSE(tok->IdToToken(280).has_value());
}

INSTANTIATE_TEST_SUITE_P(MergeSpellings, TinyBpeTest, ::testing::Bool());

TEST(TinyBpeErrorsTest, BadFilesGiveClearStatus) {
  auto expect_code = [](const json& j, StatusCode code, const std::string& needle) {
    StatusOr<Tokenizer> tok = Tokenizer::FromJson(j.dump(), "test.json");
    ASSERT_FALSE(tok.ok());
    EXPECT_EQ(tok.status().code(), code) << tok.status().ToString();
    EXPECT_NE(tok.status().message().find(needle), std::string::npos) << tok.status().ToString();
  };
  json j = TinyTokenizer(true);
  j["model"]["merges"].push_back(json::array({"q", "zz"}));
  expect_code(j, StatusCode::kDataLoss, "missing from the vocab");
  j = TinyTokenizer(false);
  j["model"]["merges"].push_back("a b c");
  expect_code(j, StatusCode::kDataLoss, "is not 'a b'");
  j = TinyTokenizer(true);
  j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\w+";
  expect_code(j, StatusCode::kUnimplemented, "not the Qwen2 one");
  j = TinyTokenizer(true);
  j["pre_tokenizer"] = {{"type", "Whitespace"}};
  expect_code(j, StatusCode::kUnimplemented, "pre_tokenizer");
  j = TinyTokenizer(true);
  j["model"]["type"] = "WordPiece";
  expect_code(j, StatusCode::kUnimplemented, "WordPiece");
  j = TinyTokenizer(true);
  j["added_tokens"][0]["lstrip"] = true;
  expect_code(j, StatusCode::kUnimplemented, "lstrip");
  j = TinyTokenizer(true);
  j["model"]["vocab"].erase("z");
  expect_code(j, StatusCode::kDataLoss, "byte 122");
  j = TinyTokenizer(true);
  j["model"]["vocab"]["abc"] = "not a number";
  expect_code(j, StatusCode::kDataLoss, "not an integer");
  j = TinyTokenizer(true);
  j["added_tokens"][0]["id"] = "x";
  expect_code(j, StatusCode::kDataLoss, "structure");
  StatusOr<Tokenizer> bad = Tokenizer::FromJson("{\"model\": ", "truncated.json");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(bad.status().message().find("truncated.json"), std::string::npos);
  StatusOr<Tokenizer> missing = Tokenizer::Load("/nonexistent/dir/tokenizer.json");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
}

// MergeByScan (short words) and MergeByHeap (long words) must agree everywhere.
TEST(MergeLoopsTest, ScanAndHeapAgreeOnRealMerges) {
  StatusOr<MappedFile> file =
      MappedFile::Open(testing::SharedData("tokenizer/qwen3-derived/tokenizer.json"));
  ASSERT_TRUE(file.ok()) << file.status().ToString();
  internal::TokenizerData data;
  ASSERT_TRUE(internal::ParseTokenizerJson(file->view(), &data).ok());
  std::mt19937 rng(7);
  const std::string alphabet = "etaoinshrdlu ETAOIN.,'\n0123\xC3\xA9\xE4\xB8\xAD";
  for (int trial = 0; trial < 2000; ++trial) {
    const size_t len = 1 + rng() % 200;
    std::vector<int32_t> a(len), b;
    for (size_t i = 0; i < len; ++i)
      a[i] = data.byte_ids[static_cast<uint8_t>(alphabet[rng() % alphabet.size()])];
    b = a;
    internal::MergeByScan(data.merges, &a);
    internal::MergeByHeap(data.merges, &b);
    ASSERT_EQ(a, b) << "trial " << trial;
  }
}

}  // namespace
}  // namespace corgi
