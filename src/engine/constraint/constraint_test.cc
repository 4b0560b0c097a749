// TokenMatcher on the real Qwen vocabulary: random logits drive sample -> Accept until
// the matcher completes; the output must be complete within the budget, parse, satisfy
// the schema (independent validator) and carry the literals where they belong.
#include "corgi/engine/constraint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>
#include <random>
#include <set>

#include "engine/constraint/mask.h"
#include "engine/constraint/test_support.h"

namespace corgi {
namespace {

using constraint::testing::OJson;

constexpr int64_t kPaddedVocab = 151936;  // Qwen3-VL's embedding rows
constexpr float kNegInf = -std::numeric_limits<float>::infinity();

const Tokenizer& Qwen() {
  static Tokenizer* tok = [] {
    StatusOr<Tokenizer> t =
        Tokenizer::Load(std::string(CORGI_SHARED_DATA) + "/tokenizer/qwen3-derived/tokenizer.json");
    CORGI_CHECK(t.ok()) << t.status().ToString();
    return new Tokenizer(std::move(t).value());
  }();
  return *tok;
}

Constraint Reasoning(int max_steps) {
  Constraint c;
  c.free_text_until = "</THINKING>";
  c.prefix = "\n<STRUCTURED_STEPS>";
  c.json_schema = constraint::testing::StepsSchema(max_steps);
  c.suffix = "</STRUCTURED_STEPS>";
  return c;
}

Constraint JsonOnly(const std::string& schema) {
  Constraint c;
  c.json_schema = schema;
  return c;
}

// CPU time of this thread: the dev VM is shared, so wall-clock times of short calls
// mostly measure other people's builds.
double ThreadCpuUs() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec * 1e-3;
}

std::vector<double>& MaskTimesUs() {
  static std::vector<double> t;
  return t;
}

// Tokens a "model" prefers on biased runs, so outputs also end naturally (strings and
// arrays closed early, the tag written by choice) and not only by budget forcing.
const std::vector<int32_t>& Preferred() {
  static std::vector<int32_t> p = [] {
    const Tokenizer& tok = Qwen();
    std::vector<int32_t> out;
    const std::string closers = "\"]}<>";
    const std::string lits = "</THINKING>\n<STRUCTURED_STEPS></STRUCTURED_STEPS>";
    for (int32_t id = 0; id < tok.vocab_size(); ++id) {
      std::optional<std::string_view> b = tok.TokenBytes(id);
      if (!b || b->empty() || tok.IsSpecial(id)) continue;
      if (b->find_first_of(closers) != std::string_view::npos ||
          lits.find(*b) != std::string::npos) {
        out.push_back(id);
      }
    }
    return out;
  }();
  return p;
}

// A pool of uniform random logits; each step copies a window at a random offset (far
// cheaper than drawing 152k numbers per step, which matters under the sanitizers).
const std::vector<float>& RandomPool() {
  static std::vector<float> pool = [] {
    std::vector<float> p(kPaddedVocab * 4);
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (float& v : p) v = u(rng);
    return p;
  }();
  return pool;
}

struct RunResult {
  std::string text;
  int64_t steps = 0;
  bool complete = false;
};

// One decode: random logits (xorshift, seeded), MaskLogits, argmax, Accept.
RunResult Drive(TokenMatcher* m, uint32_t seed, int64_t budget, bool biased) {
  RunResult r;
  std::vector<float> logits(kPaddedVocab);
  std::mt19937 rng(seed);
  const Tokenizer& tok = Qwen();
  const std::vector<float>& pool = RandomPool();
  for (; r.steps < budget && !m->IsComplete(); ++r.steps) {
    const size_t offset = rng() % (pool.size() - kPaddedVocab);
    std::copy(pool.begin() + offset, pool.begin() + offset + kPaddedVocab, logits.begin());
    const double t0 = ThreadCpuUs();
    m->MaskLogits(logits.data(), kPaddedVocab, budget - r.steps);
    MaskTimesUs().push_back(ThreadCpuUs() - t0);
    int32_t best = -1;
    if (biased && rng() % 10 < 4) {  // the "model" wants to close something
      for (int32_t id : Preferred()) {
        if (logits[id] != kNegInf && (best < 0 || logits[id] > logits[best])) best = id;
      }
    }
    if (best < 0) {
      const float* l = logits.data();
      for (int64_t i = 0; i < kPaddedVocab; ++i) {
        if (l[i] != kNegInf && (best < 0 || l[i] > l[best])) best = static_cast<int32_t>(i);
      }
    }
    EXPECT_GE(best, 0) << "every token masked at step " << r.steps;
    if (best < 0) return r;
    Status s = m->Accept(best);
    EXPECT_TRUE(s.ok()) << s.ToString();
    if (!s.ok()) return r;
    if (!tok.IsSpecial(best)) r.text += *tok.TokenBytes(best);
  }
  r.complete = m->IsComplete();
  return r;
}

// Splits `text` into the constraint's parts and checks each; returns the JSON value.
OJson CheckOutput(const Constraint& c, const std::string& text) {
  size_t pos = 0;
  if (!c.free_text_until.empty()) {
    pos = text.find(c.free_text_until);
    EXPECT_NE(pos, std::string::npos) << text;
    if (pos == std::string::npos) return nullptr;
    pos += c.free_text_until.size();
  }
  EXPECT_EQ(text.compare(pos, c.prefix.size(), c.prefix), 0) << text;
  pos += c.prefix.size();
  EXPECT_GE(text.size(), pos + c.suffix.size());
  EXPECT_EQ(text.substr(text.size() - c.suffix.size()), c.suffix) << text;
  const std::string json = text.substr(pos, text.size() - pos - c.suffix.size());
  try {
    OJson v = OJson::parse(json);
    const std::string err = constraint::testing::Validate(v, OJson::parse(c.json_schema));
    EXPECT_EQ(err, "") << json;
    return v;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "does not parse: " << e.what() << "\n" << json;
  }
  return nullptr;
}

void RunMany(const Constraint& c, int64_t generous) {
  StatusOr<std::unique_ptr<TokenMatcher>> probe = CompileConstraint(c, Qwen());
  ASSERT_TRUE(probe.ok()) << probe.status().ToString();
  const int64_t min_tokens = (*probe)->MinTokensToComplete();
  for (uint32_t seed = 0; seed < 50; ++seed) {
    // Budgets from exactly the minimum to generous.
    const int64_t budgets[] = {min_tokens, min_tokens + 3, min_tokens + 20, generous / 2, generous};
    const int64_t budget = std::max(min_tokens, budgets[seed % 5]);
    StatusOr<std::unique_ptr<TokenMatcher>> m = CompileConstraint(c, Qwen());
    ASSERT_TRUE(m.ok());
    RunResult r = Drive(m->get(), seed, budget, seed % 2 == 1);
    ASSERT_TRUE(r.complete) << "seed " << seed << " budget " << budget << ":\n" << r.text;
    ASSERT_LE(r.steps, budget);
    CheckOutput(c, r.text);
  }
}

TEST(Constraint, EveryByteIsAToken) {
  // The budget arithmetic counts bytes, assuming each byte is a token of its own.
  std::shared_ptr<const constraint::VocabTrie> trie = constraint::GetVocabTrie(Qwen());
  std::set<uint8_t> single;
  for (int32_t id = 0; id < trie->vocab_size; ++id) {
    if (trie->Bytes(id).size() == 1) single.insert(static_cast<uint8_t>(trie->Bytes(id)[0]));
  }
  EXPECT_EQ(single.size(), 256u);
  EXPECT_EQ(trie->num_tokens, 151643);
  EXPECT_EQ(trie->eos_ids.size(), 2u);
}

TEST(Constraint, ReasoningStepsRandomDecodes) { RunMany(Reasoning(6), 700); }

TEST(Constraint, GroundingRandomDecodes) {
  RunMany(JsonOnly(constraint::testing::GroundingSchema(3)), 128);
}

TEST(Constraint, SynthesisRandomDecodes) {
  RunMany(JsonOnly(constraint::testing::SynthesisSchema()), 512);
}

// OpenAI's json_object mode: any JSON object, complete and parseable at every budget
// from the minimum ("{}") up; with room, not just "{}".
TEST(Constraint, JsonObjectRandomDecodes) {
  const Constraint c = JsonOnly(R"({"type":"object"})");
  RunMany(c, 300);
  int non_empty = 0, nested = 0;
  for (uint32_t seed = 0; seed < 24; ++seed) {
    const int64_t budgets[] = {2, 3, 4, 7, 16, 64};
    const int64_t budget = budgets[seed % 6];
    auto m = CompileConstraint(c, Qwen());
    ASSERT_TRUE(m.ok());
    EXPECT_EQ((*m)->MinTokensToComplete(), 2);
    RunResult r = Drive(m->get(), 1000 + seed, budget, seed % 4 == 1);
    ASSERT_TRUE(r.complete) << "seed " << seed << " budget " << budget << ":\n" << r.text;
    ASSERT_LE(r.steps, budget);
    const nlohmann::json v = nlohmann::json::parse(r.text, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(v.is_discarded()) << "budget " << budget << ": " << r.text;
    ASSERT_TRUE(v.is_object()) << r.text;
    if (!v.empty() && non_empty++ == 0) std::printf("json_object example: %s\n", r.text.c_str());
    for (const auto& [k, x] : v.items()) nested += x.is_object() || x.is_array();
  }
  EXPECT_GT(non_empty, 0);
  std::printf("json_object: %d of 24 decodes non-empty, %d nested values\n", non_empty, nested);
}

TEST(Constraint, StepCountNeverExceedsMaxSteps) {
  Constraint c = Reasoning(2);
  for (uint32_t seed = 100; seed < 106; ++seed) {
    auto m = CompileConstraint(c, Qwen());
    ASSERT_TRUE(m.ok());
    RunResult r = Drive(m->get(), seed, 400, true);
    ASSERT_TRUE(r.complete);
    OJson v = CheckOutput(c, r.text);
    if (v.is_object()) {
      EXPECT_LE(v["steps"].size(), 2u);
    }
  }
}

TEST(Constraint, AcceptRejectsDisallowedTokens) {
  const Tokenizer& tok = Qwen();
  auto m = CompileConstraint(JsonOnly(constraint::testing::GroundingSchema(1)), tok);
  ASSERT_TRUE(m.ok());
  std::vector<int32_t> hello = tok.Encode("hello");
  Status s = (*m)->Accept(hello[0]);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
  EXPECT_EQ((*m)->Accept(tok.special_ids().im_start).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*m)->Accept(tok.special_ids().im_end).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*m)->Accept(-5).code(), StatusCode::kFailedPrecondition);
  // A rejected token leaves the state as it was: a valid output still goes through.
  for (int32_t id : tok.Encode(R"([{"bbox_2d":[1,2,3,4],"label":"cat"}])")) {
    ASSERT_TRUE((*m)->Accept(id).ok()) << id;
  }
  EXPECT_TRUE((*m)->IsComplete());
  EXPECT_EQ((*m)->MinTokensToComplete(), 0);
  // Once complete only the end-of-sequence tokens remain.
  std::vector<float> logits(kPaddedVocab, 0.0f);
  (*m)->MaskLogits(logits.data(), kPaddedVocab, 10);
  int finite = 0;
  for (float v : logits) finite += v != kNegInf;
  EXPECT_EQ(finite, 2);
  EXPECT_NE(logits[tok.special_ids().im_end], kNegInf);
  EXPECT_TRUE((*m)->Accept(tok.special_ids().im_end).ok());
  EXPECT_EQ((*m)->Accept(hello[0]).code(), StatusCode::kFailedPrecondition);
}

TEST(Constraint, CompileErrorsAreInvalidArgument) {
  auto m = CompileConstraint(JsonOnly(R"({"type":"string","format":"date"})"), Qwen());
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("'format'"), std::string::npos);
}

// The mask against a brute force over every token: a token is allowed iff all its bytes
// step, and its completion fits the budget; special tokens never (EOS only at the end).
void CheckMaskAgainstBruteForce(const Constraint& c, const std::string& text, size_t stride) {
  const Tokenizer& tok = Qwen();
  auto grammar = constraint::CompileGrammar(c);
  ASSERT_TRUE(grammar.ok());
  auto trie = constraint::GetVocabTrie(tok);
  constraint::Machine machine(grammar->get());
  constraint::WalkScratch scratch;
  std::vector<float> logits(kPaddedVocab), saved;
  std::vector<bool> added(tok.vocab_size(), false);
  for (const AddedToken& a : tok.added_tokens()) added[a.id] = true;
  std::vector<int64_t> after(tok.vocab_size());
  for (size_t i = 0; i <= text.size(); i += stride) {
    constraint::State at = machine.Initial();
    for (size_t k = 0; k < i; ++k) ASSERT_TRUE(machine.Step(&at, static_cast<uint8_t>(text[k])));
    constraint::MaskEntry e;
    constraint::ComputeMask(machine, *trie, at, &scratch, &e);
    for (int32_t id = 0; id < tok.vocab_size(); ++id) {  // -1: cannot continue
      after[id] = -1;
      std::optional<std::string_view> b = tok.TokenBytes(id);
      if (!b || added[id]) continue;
      constraint::State t = at;
      bool ok = true;
      for (char ch : *b) ok = ok && machine.Step(&t, static_cast<uint8_t>(ch));
      if (ok) after[id] = machine.MinBytes(t);
    }
    const int64_t min_bytes = machine.MinBytes(at);
    for (int64_t remaining : {min_bytes, min_bytes + 2, int64_t{100000}}) {
      std::fill(logits.begin(), logits.end(), 0.0f);
      constraint::ApplyMask(e, std::max(remaining - 1, e.min_after), logits.data(),
                            tok.vocab_size(), &saved);
      int mismatches = 0;
      for (int32_t id = 0; id < tok.vocab_size(); ++id) {
        const bool ok = after[id] >= 0 && 1 + after[id] <= remaining;
        if (ok != (logits[id] != kNegInf) && ++mismatches < 5) {
          ADD_FAILURE() << "byte " << i << " remaining " << remaining << " token " << id << " '"
                        << std::string(tok.TokenBytes(id).value_or("")) << "' brute " << ok;
        }
      }
      ASSERT_EQ(mismatches, 0);
    }
  }
}

TEST(Constraint, MaskMatchesBruteForce) {
  CheckMaskAgainstBruteForce(
      Reasoning(3),
      "Look \xE4\xB8\xAD</THINK</THINKING>\n<STRUCTURED_STEPS>{\"steps\": "
      "[{\"index\":1,\"statement\":"
      "\"a \\\"b\\\" "
      "\xC3\xA9\",\"need_object_captioning\":true,\"need_text_ocr\":false,\"bbox\":[10,200,30",
      7);
}

TEST(Constraint, FreeObjectMaskMatchesBruteForce) {
  CheckMaskAgainstBruteForce(JsonOnly(R"({"type":"object"})"),
                             "{\"k\xC3\xA9y\" : [1, {\"a\\n\":null}, -2.5],\"s\":\"te\xE4\xB8\xADxt\", "
                             "\"o\":{\"p\":[[true]]}}",
                             3);
}

// Prints the per-step MaskLogits times gathered by the random decodes above.
TEST(Constraint, ZMaskTimingReport) {
  std::vector<double> t = MaskTimesUs();
  if (t.empty()) GTEST_SKIP() << "run the decode tests first";
  std::sort(t.begin(), t.end());
  auto at = [&](double q) { return t[std::min(t.size() - 1, static_cast<size_t>(q * t.size()))]; };
  std::printf(
      "MaskLogits (thread CPU time): %zu steps, median %.1f us, p90 %.1f us, p99 %.1f us, max %.1f "
      "us\n",
      t.size(), at(0.5), at(0.9), at(0.99), t.back());
}

// One decode with a constraint no other test uses, so every state's mask is computed
// cold (the first request of a kind after start-up), plus cold masks of typical states.
TEST(Constraint, ZColdTimingReport) {
  const Constraint c = Reasoning(5);
  auto m = CompileConstraint(c, Qwen());
  ASSERT_TRUE(m.ok());
  const size_t before = MaskTimesUs().size();
  RunResult r = Drive(m->get(), 4242, 1024, true);
  ASSERT_TRUE(r.complete);
  std::vector<double> t(MaskTimesUs().begin() + before, MaskTimesUs().end());
  MaskTimesUs().resize(before);
  std::sort(t.begin(), t.end());
  std::printf("cold decode (budget 1024): %zu steps, median %.1f us, p99 %.1f us, max %.1f us\n",
              t.size(), t[t.size() / 2], t[t.size() * 99 / 100], t.back());
  auto grammar = constraint::CompileGrammar(c);
  ASSERT_TRUE(grammar.ok());
  constraint::Machine machine(grammar->get());
  auto trie = constraint::GetVocabTrie(Qwen());
  constraint::WalkScratch scratch;
  const char* prefixes[] = {
      "Free text ",
      "x</THINKING>\n<STRUCTURED_STEPS>{\"steps\":[{\"index\":1,\"statement\":\"The sign",
      "x</THINKING>\n<STRUCTURED_STEPS>{\"steps\":[{\"index\":1,\"statement\":\"a\",\"need_object_"
      "captioning\":true,\"need_text_ocr\":false,\"bbox\":[12"};
  for (const char* p : prefixes) {
    constraint::State s = machine.Initial();
    for (const char* q = p; *q; ++q) ASSERT_TRUE(machine.Step(&s, static_cast<uint8_t>(*q)));
    constraint::MaskEntry e;
    const double t0 = ThreadCpuUs();
    constexpr int kReps = 5;
    for (int k = 0; k < kReps; ++k) constraint::ComputeMask(machine, *trie, s, &scratch, &e);
    const double us = (ThreadCpuUs() - t0) / kReps;
    std::printf("cold mask after '...%s': %.0f us, %zu tokens allowed\n",
                p + std::max<size_t>(0, std::strlen(p) > 16 ? std::strlen(p) - 16 : 0), us,
                e.allowed);
    EXPECT_LT(us, 200000.0);  // only catches pathologies; numbers go to PERFORMANCE.md
  }
}

}  // namespace
}  // namespace corgi
