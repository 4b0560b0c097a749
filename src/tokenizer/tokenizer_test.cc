// Behaviour of the real Qwen tokenizers that is not covered by the reference files.
#include "corgi/tokenizer/tokenizer.h"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <thread>

#include "corgi/tokenizer/utf8.h"
#include "tokenizer/test_util.h"

namespace corgi {
namespace {

using V = std::vector<int32_t>;
using testing::Qwen25VlTokenizer;
using testing::Qwen3Tokenizer;

TEST(TokenizerTest, SizesAndSpecialIds) {
  const Tokenizer& tok = Qwen3Tokenizer();
  EXPECT_EQ(tok.vocab_size(), 151669);
  EXPECT_EQ(tok.added_tokens().size(), 26u);
  const SpecialTokenIds& s = tok.special_ids();
  // Spec §7 table.
  EXPECT_EQ(s.endoftext, 151643);
  EXPECT_EQ(s.im_start, 151644);
  EXPECT_EQ(s.im_end, 151645);
  EXPECT_EQ(s.vision_start, 151652);
  EXPECT_EQ(s.vision_end, 151653);
  EXPECT_EQ(s.vision_pad, 151654);
  EXPECT_EQ(s.image_pad, 151655);
  EXPECT_EQ(s.video_pad, 151656);
  EXPECT_EQ(s.think, 151667);
  EXPECT_EQ(s.think_end, 151668);
  EXPECT_EQ(tok.TokenToId("<tool_response>"), 151665);
  EXPECT_EQ(tok.TokenToId("<|fim_prefix|>"), 151659);
  EXPECT_TRUE(tok.IsSpecial(151645));
  EXPECT_FALSE(tok.IsSpecial(151667));  // <think> is an added token but not "special"
  EXPECT_FALSE(tok.IsSpecial(872));
  const Tokenizer& vl25 = Qwen25VlTokenizer();
  EXPECT_EQ(vl25.vocab_size(), 151665);
  EXPECT_EQ(vl25.special_ids().think, -1);
  EXPECT_EQ(vl25.special_ids().image_pad, 151655);
}

// Spec §7: confirmed encodings, and the ids it lists as unverified (they hold).
TEST(TokenizerTest, SpecIds) {
  const Tokenizer& tok = Qwen3Tokenizer();
  EXPECT_EQ(tok.Encode("<|im_start|>system<|im_end|>"), (V{151644, 8948, 151645}));
  EXPECT_EQ(tok.Encode("<|vision_start|><|image_pad|><|vision_end|>"), (V{151652, 151655, 151653}));
  EXPECT_EQ(tok.Encode(" "), (V{220}));
  EXPECT_EQ(tok.Encode("user"), (V{872}));
  EXPECT_EQ(tok.Encode("assistant"), (V{77091}));
  EXPECT_EQ(tok.Encode("\n"), (V{198}));
  EXPECT_EQ(tok.TokenToId("Ċ"), 198);
  EXPECT_EQ(tok.IdToToken(220), "Ġ");
  EXPECT_EQ(tok.IdToToken(151644), "<|im_start|>");
}

TEST(TokenizerTest, SpecialTokensAreAtomicAndExact) {
  const Tokenizer& tok = Qwen3Tokenizer();
  EXPECT_EQ(tok.Encode("a<|im_end|>b"), (V{64, 151645, 65}));
  EXPECT_EQ(tok.Encode("<|im_end|><|im_end|>"), (V{151645, 151645}));
  // Not exact: "<|im_end|" and "<|IM_END|>" are plain text.
  const V partial = tok.Encode("<|im_end|");
  EXPECT_EQ(std::count(partial.begin(), partial.end(), 151645), 0);
  const V upper = tok.Encode("<|IM_END|>");
  EXPECT_EQ(std::count(upper.begin(), upper.end(), 151645), 0);
  // Text around a special token is not merged across it.
  EXPECT_EQ(tok.Encode(" <|im_end|> "), (V{220, 151645, 220}));
  V ordinary;
  tok.EncodeOrdinaryAppend("<|im_end|>", &ordinary);
  EXPECT_EQ(std::count(ordinary.begin(), ordinary.end(), 151645), 0);
  EXPECT_EQ(*tok.Decode(ordinary, false), "<|im_end|>");
}

TEST(TokenizerTest, EmptyInput) {
  const Tokenizer& tok = Qwen3Tokenizer();
  EXPECT_TRUE(tok.Encode("").empty());
  EXPECT_EQ(*tok.Decode(V{}, true), "");
}

// Invalid bytes become U+FFFD before tokenizing (as Python's decode(errors="replace")
// would hand HF the text); the U+FFFD ids below are HF's encoding of "a\uFFFDb\uFFFD".
TEST(TokenizerTest, InvalidUtf8IsReplaced) {
  const Tokenizer& tok = Qwen3Tokenizer();
  const V replaced = tok.Encode(
      "a\xEF\xBF\xBD"
      "b\xEF\xBF\xBD");
  EXPECT_EQ(replaced, (V{64, 5691, 65, 5691}));
  EXPECT_EQ(tok.Encode("a\xFF"
                       "b\xE4\xB8"),
            replaced);
  EXPECT_EQ(*tok.Decode(replaced, false),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD");
  // A lone lead byte inside special-token text does not disturb the special token.
  EXPECT_EQ(tok.Encode("\xC3<|im_end|>").back(), 151645);
}

TEST(TokenizerTest, DecodeErrorsAndSkipSpecial) {
  const Tokenizer& tok = Qwen3Tokenizer();
  EXPECT_EQ(tok.Decode(V{-1}, false).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(tok.Decode(V{151669}, false).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(tok.Decode(V{872, 151936}, true).status().code(), StatusCode::kInvalidArgument);
  const V ids = tok.Encode("<|im_start|>user\nhi<|im_end|><think>");
  EXPECT_EQ(*tok.Decode(ids, true), "user\nhi<think>");
  EXPECT_EQ(*tok.Decode(ids, false), "<|im_start|>user\nhi<|im_end|><think>");
  // A token that is half a character decodes to U+FFFD on its own.
  // U+1FAE0 is three tokens in HF: [9284, 104, 254].
  const V emoji = tok.Encode("\xF0\x9F\xAB\xA0");
  ASSERT_EQ(emoji, (V{9284, 104, 254}));
  EXPECT_EQ(*tok.Decode(V{emoji[0]}, false), "\xEF\xBF\xBD");
  EXPECT_EQ(*tok.Decode(emoji, false), "\xF0\x9F\xAB\xA0");
}

TEST(TokenizerTest, StreamDecoderEmitsWholeCharacters) {
  const Tokenizer& tok = Qwen3Tokenizer();
  const std::string text =
      "Emoji \xF0\x9F\xAB\xA0\xF0\x9F\xA7\xAC, CJK \xE4\xB8\xAD\xE6\x96\x87<|im_end|> end";
  const V ids = tok.Encode(text);
  for (bool skip : {false, true}) {
    TokenStreamDecoder stream(&tok, skip);
    std::string all;
    for (int32_t id : ids) {
      StatusOr<std::string> piece = stream.Push(id);
      ASSERT_TRUE(piece.ok());
      EXPECT_EQ(Utf8Sanitize(*piece), *piece) << "not whole characters";
      all += *piece;
    }
    all += stream.Finish();
    EXPECT_EQ(all, *tok.Decode(ids, skip));
  }
  TokenStreamDecoder stream(&tok, false);
  const V emoji = tok.Encode("\xF0\x9F\xAB\xA0");
  EXPECT_EQ(*stream.Push(emoji[0]), "");       // held back
  EXPECT_EQ(stream.Finish(), "\xEF\xBF\xBD");  // never completed
  EXPECT_FALSE(stream.Push(-5).ok());
}

// 1 MB inputs finish in reasonable time: one giant letter run and one giant space run
// (both take the O(n log n) heap merge), and ordinary prose.
TEST(TokenizerTest, VeryLongInputCompletes) {
  const Tokenizer& tok = Qwen3Tokenizer();
  std::string prose;
  while (prose.size() < (1 << 20))
    prose += "The quick brown fox jumps over the lazy dog 42 times.\n";
  for (const std::string& text : {std::string(1 << 20, 'a'), std::string(1 << 20, ' '), prose}) {
    const auto start = std::chrono::steady_clock::now();
    const V ids = tok.Encode(text);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(seconds, 60.0) << "quadratic behaviour?";  // loose: sanitizer builds are slow
    EXPECT_LT(ids.size(), text.size() / 2);
    EXPECT_EQ(*tok.Decode(ids, false), text);
  }
}

TEST(TokenizerTest, ConcurrentEncodeMatchesSerial) {
  const Tokenizer& tok = Qwen3Tokenizer();
  std::vector<std::string> texts;
  for (int i = 0; i < 8; ++i) {
    std::string t;
    for (int k = 0; k < 300; ++k) t += "word" + std::to_string(i * 1000 + k) + " fox's den, ";
    texts.push_back(t);
  }
  std::vector<V> serial;
  for (const std::string& t : texts) serial.push_back(tok.Encode(t));
  tok.ClearCache();
  std::vector<std::thread> threads;
  std::vector<int> mismatches(texts.size(), 0);
  for (size_t i = 0; i < texts.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int rep = 0; rep < 20; ++rep) {
        if (tok.Encode(texts[(i + rep) % texts.size()]) != serial[(i + rep) % texts.size()])
          ++mismatches[i];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int m : mismatches) EXPECT_EQ(m, 0);
}

TEST(TokenizerTest, CacheDisabledGivesSameIds) {
  StatusOr<Tokenizer> nocache =
      Tokenizer::Load(testing::SharedData("tokenizer/qwen3-derived/tokenizer.json"),
                      TokenizerOptions{.word_cache_capacity = 0});
  ASSERT_TRUE(nocache.ok());
  const std::string text =
      "Caching must not change results: don't, won't, 3.14, \xE4\xB8\xAD\xE6\x96\x87.";
  EXPECT_EQ(nocache->Encode(text), Qwen3Tokenizer().Encode(text));
  EXPECT_EQ(nocache->Encode(text), Qwen3Tokenizer().Encode(text));  // now from the cache
}

// Regression (issue 11): a tokenizer.json nested 100,000 deep is a DataLoss naming the
// limit, and a FIFO given as tokenizer.json is refused at once instead of blocking.
TEST(TokenizerTest, HostileTokenizerFilesAreErrors) {
  const std::string deep = "{\"model\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
  StatusOr<Tokenizer> tok = Tokenizer::FromJson(deep, "deep.json");
  ASSERT_FALSE(tok.ok());
  EXPECT_EQ(tok.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(tok.status().message().find("JSON nested deeper than 64 levels"), std::string::npos)
      << tok.status().message();

  const std::string fifo = ::testing::TempDir() + "corgi_tokenizer_fifo_" + std::to_string(::getpid());
  std::remove(fifo.c_str());
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  StatusOr<Tokenizer> from_fifo = Tokenizer::Load(fifo);
  std::remove(fifo.c_str());
  ASSERT_FALSE(from_fifo.ok());
  EXPECT_NE(from_fifo.status().message().find("is a FIFO (named pipe), not a regular file"),
            std::string::npos)
      << from_fifo.status().message();
}

}  // namespace
}  // namespace corgi
