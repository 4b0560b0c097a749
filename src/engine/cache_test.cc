// The caches and batching of issue 5 against the plain path: under greedy decoding (and
// seeded sampling) every request yields the same tokens, and bitwise the same first
// logits, whether it runs alone with no caches ("naive"), resumes from the prefix
// cache, takes its image features from the vision cache, decodes in a batch, uses
// small pages, chunked or unchunked prefill, or runs under budgets that force eviction.
//
// The workload mimics one CoRGI query per image: reasoning on the whole image, captions
// of two crops and a grounding call decoded together, a text-only call, then synthesis.
// Every test runs once per registered model family (".../qwen2_5_vl"): the guarantees are
// the engine's, whatever the family. CI runs the tiny preset on two seeds; the acceptance
// matrix (tiny and small, five seeds, three images) is engine_cache_slow_test (label slow).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "corgi/engine.h"
#include "corgi/engine/prompt.h"
#include "corgi/image/decode.h"
#include "corgi/image/preprocess.h"
#include "model/synthetic_checkpoint_test_util.h"

namespace corgi {
namespace {

namespace fs = std::filesystem;

// The checkpoint is written once and kept in the temp folder for later runs. It is written
// beside its place and renamed into it, so that engine_cache_test and engine_cache_slow_test
// running at once (ctest -j) never load half a checkpoint.
std::unique_ptr<LoadedModel> MakeModel(const std::string& family, const std::string& preset,
                                       uint64_t seed) {
  const std::string dir = (fs::temp_directory_path() / ("corgi_cache_test_" + family + "_" +
                                                        preset + "_" + std::to_string(seed)))
                              .string();
  if (!fs::exists(dir + "/config.json")) {
    const std::string fresh = dir + ".tmp" + std::to_string(::getpid());
    fs::remove_all(fresh);
    Status s = test_models::WriteCheckpoint(fresh, seed, DType::kBF16, family, preset);
    if (!s.ok()) ADD_FAILURE() << s.ToString();
    std::error_code error;
    if (!fs::exists(dir + "/config.json")) fs::remove_all(dir, error);  // a run cut short
    fs::rename(fresh, dir, error);  // fails when another test got there first: the same files
    fs::remove_all(fresh, error);
  }
  auto m = LoadModel(dir);
  if (!m.ok()) ADD_FAILURE() << m.status().ToString();
  return m.ok() ? std::move(*m) : nullptr;
}

RgbImage LoadImage(const std::string& relative) {
  auto img = DecodeImageFile(std::string(CORGI_SHARED_DATA) + "/images/" + relative);
  if (!img.ok()) ADD_FAILURE() << img.status().ToString();
  return img.ok() ? std::move(*img) : RgbImage::Make(64, 64);
}

const char* const kImages[] = {"llama_cpp_mtmd/test-1.jpeg", "moondream_demo/demo-1.jpg", "qwen3_vl_jax_256/horses.png"};

Request Ask(const RgbImage* image, const std::string& text, int64_t max_tokens) {
  Request r;
  std::vector<ContentPart> parts;
  if (image != nullptr) parts.push_back(ContentPart::Image(*image));
  parts.push_back(ContentPart::Text(text));
  r.messages = {Message::User(std::move(parts))};
  r.max_tokens = max_tokens;
  r.ignore_eos = true;
  r.keep_prefill_logits = true;
  return r;
}

// The calls of one query, in the order the pipeline makes them; `batches` groups them.
struct Workload {
  std::vector<Request> calls;
  std::vector<std::vector<size_t>> batches;
};

const std::string kInstructions =
    "You answer questions about the image above by reasoning step by step and checking each step "
    "against the image. First think briefly, then list the verification steps as JSON.\n";

// Long enough that the reasoning prompt's full pages hold all it shares with the
// grounding and synthesis calls, whatever the family's system prompt.
const std::string kQuestion =
    "Question: what is in the picture? Name every object you can see, its colour, its size next to "
    "the others and where it stands in the image; then say which objects are people, which are "
    "animals and which are vehicles, and how many of each kind there are.";

Workload MakeWorkload(const RgbImage& image, uint64_t sampling_seed, bool sample) {
  Workload w;
  auto crop = [&](std::array<double, 4> box) { return *CropNormalized(image, box); };
  static thread_local std::vector<RgbImage> crops;
  crops = {crop({0.1, 0.1, 0.6, 0.5}), crop({0.4, 0.3, 0.95, 0.9})};
  w.calls.push_back(Ask(&image, kInstructions + kQuestion, 20));
  w.calls.push_back(Ask(&crops[0], "Describe the region.\nStatement: a thing is here", 10));
  w.calls.push_back(Ask(&crops[1], "Describe the region.\nStatement: another thing", 12));
  // Shares the image and the first part of the reasoning instructions: a partial-page hit.
  w.calls.push_back(Ask(&image, kInstructions + "Locate: the left object", 8));
  w.calls.push_back(Ask(nullptr, "A text-only call between the others.", 6));
  w.calls.push_back(Ask(&image, kInstructions + "Answer using the evidence: (1) a thing (2) another", 16));
  if (sample)
    for (size_t i = 0; i < w.calls.size(); ++i) {
      w.calls[i].sampling.temperature = 0.8;
      w.calls[i].sampling.top_k = 40;
      w.calls[i].sampling.seed = sampling_seed + i;
    }
  w.batches = {{0}, {1, 2, 3, 4}, {5}};
  return w;
}

std::vector<Completion> RunWorkload(const LoadedModel* model, const EngineOptions& options, const Workload& w,
                                    EngineStats* stats = nullptr) {
  auto engine = Engine::Create(model, options);
  EXPECT_TRUE(engine.ok()) << engine.status().ToString();
  if (!engine.ok()) return {};
  std::vector<Completion> out(w.calls.size());
  for (const auto& batch : w.batches) {
    std::vector<Request> requests;
    for (size_t i : batch) requests.push_back(w.calls[i]);
    std::vector<StatusOr<Completion>> got = (*engine)->GenerateBatch(requests);
    for (size_t k = 0; k < batch.size(); ++k) {
      EXPECT_TRUE(got[k].ok()) << got[k].status().ToString();
      if (got[k].ok()) out[batch[k]] = std::move(*got[k]);
    }
  }
  if (stats != nullptr) *stats = (*engine)->Stats();
  return out;
}

EngineOptions Base() {
  EngineOptions o;
  o.threads = 2;
  o.max_context = 1024;
  o.prefill_chunk = 512;
  o.min_pixels = 4096;
  o.max_pixels = 160 * 160;  // a few dozen image tokens keep the matrix fast
  return o;
}

void ExpectSame(const std::vector<Completion>& want, const std::vector<Completion>& got, const std::string& what) {
  ASSERT_EQ(want.size(), got.size()) << what;
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(want[i].tokens, got[i].tokens) << what << ": call " << i;
    ASSERT_EQ(want[i].prefill_logits.size(), got[i].prefill_logits.size()) << what << ": call " << i;
    EXPECT_EQ(0, std::memcmp(want[i].prefill_logits.data(), got[i].prefill_logits.data(),
                             want[i].prefill_logits.size() * sizeof(float)))
        << what << ": call " << i << " first logits differ";
  }
}

// Tokens two requests' prompts have in common at the start.
int64_t SharedPrefix(const LoadedModel* model, const Request& a, const Request& b) {
  const VisionPreprocessParams params = std::move(Engine::Create(model, Base())).value()->preprocess_params();
  const PreparedPrompt pa = *PreparePrompt(*model, a.messages, params, nullptr, false);
  const PreparedPrompt pb = *PreparePrompt(*model, b.messages, params, nullptr, false);
  int64_t n = 0;
  while (n < static_cast<int64_t>(std::min(pa.tokens.size(), pb.tokens.size())) && pa.tokens[n] == pb.tokens[n]) ++n;
  return n;
}

// Every optimized configuration against the naive run of the same workload. Adds the
// default configuration's accepted draft tokens to *accepted.
void CheckExactness(const LoadedModel* model, const RgbImage& image, uint64_t seed, bool sample,
                    int64_t* accepted) {
  const Workload w = MakeWorkload(image, seed, sample);
  const std::vector<Completion> naive = RunWorkload(model, EngineOptions::Naive(Base()), w);
  ASSERT_EQ(naive.size(), w.calls.size());
  for (const Completion& c : naive) {
    EXPECT_EQ(c.prefix_tokens_reused, 0);
    EXPECT_EQ(c.images_from_cache, 0);
  }

  EngineStats stats;
  const std::vector<Completion> optimized = RunWorkload(model, Base(), w, &stats);
  ExpectSame(naive, optimized, "optimized");
  // The caches did their work: the grounding and synthesis calls resumed after all they
  // share with the reasoning prompt (the image and the instructions), and took the
  // image's features from the vision cache.
  if (!optimized.empty()) {
    const int64_t shared = SharedPrefix(model, w.calls[0], w.calls[3]);
    EXPECT_GT(shared, 40);
    // The prefix cache keeps whole prompt pages: the reasoning prompt's full pages must
    // hold every shared token, the last of them inside a page (a partial-page hit).
    const int64_t page = Base().kv_page_tokens;
    ASSERT_GT(optimized[0].timings.prompt_tokens / page * page, shared)
        << "lengthen the reasoning question";
    ASSERT_NE(shared % page, 0);
    EXPECT_EQ(optimized[3].prefix_tokens_reused, shared);
    EXPECT_EQ(optimized[5].prefix_tokens_reused, shared);
    EXPECT_EQ(optimized[3].images_from_cache, 1);
    EXPECT_EQ(optimized[5].images_from_cache, 1);
  }
  EXPECT_EQ(stats.images_encoded, 3);  // the image once, two crops
  EXPECT_EQ(stats.vision_passes, 2);   // the reasoning call's; the crops in one pass
  EXPECT_EQ(stats.max_decode_batch, 4);
  *accepted += stats.draft_tokens_accepted;
  EXPECT_LE(stats.draft_tokens_accepted, stats.draft_tokens);

  EngineOptions small_pages = Base();
  small_pages.kv_page_tokens = 16;
  small_pages.prefill_chunk = 16;
  small_pages.lookup_draft_tokens = 9;  // guesses that cross page ends
  ExpectSame(naive, RunWorkload(model, small_pages, w), "16-token pages, 16-token chunks, 9-token drafts");

  EngineOptions one_chunk = Base();
  one_chunk.prefill_chunk = 4096;
  one_chunk.kv_page_tokens = 7;
  ExpectSame(naive, RunWorkload(model, one_chunk, w), "unchunked prefill, 7-token pages");

  EngineOptions sequential = Base();
  sequential.max_batch = 1;
  sequential.lookup_draft_tokens = 0;
  ExpectSame(naive, RunWorkload(model, sequential, w), "caches on, one at a time, no drafts");

  EngineOptions pairs = Base();
  pairs.max_batch = 2;  // the batch of four runs as a continuous batch of two slots
  ExpectSame(naive, RunWorkload(model, pairs, w), "two slots");
}

// The model family (its model_type) each test runs on.
class FamilyTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<LoadedModel> MakeModel(const std::string& preset, uint64_t seed) const {
    return corgi::MakeModel(GetParam(), preset, seed);
  }
};

#if CORGI_CACHE_MATRIX
using EngineCacheSlowTest = FamilyTest;
INSTANTIATE_TEST_SUITE_P(Families, EngineCacheSlowTest,
                         ::testing::ValuesIn(test_models::FamilyTypes()),
                         test_models::FamilyName());

// The acceptance matrix: tiny and small presets, five seeds, three images.
TEST_P(EngineCacheSlowTest, OptimizedEqualsNaiveMatrix) {
  int64_t accepted = 0;
  for (const char* preset : {"tiny", "small"}) {
    for (uint64_t seed = 1; seed <= 5; ++seed) {
      auto model = MakeModel(preset, seed);
      ASSERT_NE(model, nullptr);
      for (const char* name : kImages) {
        SCOPED_TRACE(std::string(preset) + " " + name + " seed " + std::to_string(seed));
        CheckExactness(model.get(), LoadImage(name), seed, /*sample=*/false, &accepted);
      }
    }
  }
  EXPECT_GT(accepted, 0);  // random weights often loop: some guesses held, so drafts were tested
}
#else
using EngineCacheTest = FamilyTest;
INSTANTIATE_TEST_SUITE_P(Families, EngineCacheTest, ::testing::ValuesIn(test_models::FamilyTypes()),
                         test_models::FamilyName());

TEST_P(EngineCacheTest, OptimizedEqualsNaiveTiny) {
  int64_t accepted = 0;
  for (uint64_t seed : {1u, 2u}) {
    auto model = MakeModel("tiny", seed);
    ASSERT_NE(model, nullptr);
    for (const char* name : kImages) {
      SCOPED_TRACE(std::string(name) + " seed " + std::to_string(seed));
      CheckExactness(model.get(), LoadImage(name), seed, /*sample=*/false, &accepted);
    }
  }
  EXPECT_GT(accepted, 0);  // random weights often loop: some guesses held, so drafts were tested
}

TEST_P(EngineCacheTest, SeededSamplingIsUnchangedByCachesAndBatching) {
  auto model = MakeModel("tiny", 1);
  ASSERT_NE(model, nullptr);
  int64_t accepted = 0;
  CheckExactness(model.get(), LoadImage(kImages[0]), 7, /*sample=*/true, &accepted);
}

// Prompt-lookup drafts under seeded sampling (temperatures low enough for random weights
// to repeat themselves): each row is sampled in order with the sampler's own random
// stream, so accepted guesses leave the output unchanged.
TEST_P(EngineCacheTest, DraftsLeaveSampledOutputUnchanged) {
  // Seed 2: weights that repeat themselves here in every family (seed 1's Qwen2.5-VL never
  // repeats a bigram in 48 tokens, so no guess would be made). A new family may need another.
  auto model = MakeModel("tiny", 2);
  ASSERT_NE(model, nullptr);
  const RgbImage image = LoadImage(kImages[2]);
  Workload w;
  for (double temperature : {0.01, 0.05}) {
    w.calls.push_back(Ask(&image, "Repeat after me: one two three one two three one two three", 48));
    w.calls.back().sampling.temperature = temperature;
    w.calls.back().sampling.seed = 11;
  }
  w.batches = {{0, 1}};
  EngineOptions plain = Base();
  plain.lookup_draft_tokens = 0;
  EngineStats stats;
  const std::vector<Completion> want = RunWorkload(model.get(), plain, w);
  ExpectSame(want, RunWorkload(model.get(), Base(), w, &stats), "drafts of up to 8");
  EXPECT_GT(stats.draft_tokens_accepted, 0);
  // Fewer sequence-steps than the 2 × 47 of plain decoding.
  EXPECT_LT(stats.decode_rows, 2 * 47) << stats.draft_tokens_accepted << " of " << stats.draft_tokens;
  // The draft limit grows past its start of 4 while a loop holds, up to the option: greedy
  // decoding of a long answer, where the random weights settle into a repeating period.
  Workload loop;
  loop.calls.push_back(Ask(nullptr, "Repeat after me: one two three one two three one two three", 160));
  loop.batches = {{0}};
  const std::vector<Completion> loop_want = RunWorkload(model.get(), plain, loop);
  EngineOptions long_drafts = Base();
  long_drafts.lookup_draft_tokens = 16;
  EngineStats long_stats;
  ExpectSame(loop_want, RunWorkload(model.get(), long_drafts, loop, &long_stats), "drafts of up to 16");
  EXPECT_GT(long_stats.longest_accepted_draft, 4) << long_stats.draft_tokens_accepted << " of " << long_stats.draft_tokens << " rows " << long_stats.decode_rows << " steps " << long_stats.decode_steps;
  EXPECT_LE(long_stats.longest_accepted_draft, 16);
  // A limit of 1 never feeds more than one guess per sequence and step.
  EngineOptions one = Base();
  one.lookup_draft_tokens = 1;
  EngineStats one_stats;
  ExpectSame(want, RunWorkload(model.get(), one, w, &one_stats), "drafts of 1");
  EXPECT_LE(one_stats.longest_accepted_draft, 1);
  EXPECT_LE(one_stats.draft_tokens, one_stats.decode_rows);
}

// A hit resumes with the right positions: the logits after a prefix hit equal a
// from-scratch run's, for a prompt whose image sits after some text (so the image's
// 3-D positions and the rope delta both matter) and for a two-image prompt.
TEST_P(EngineCacheTest, PrefixHitResumesWithTheRightPositions) {
  auto model = MakeModel("tiny", 1);
  ASSERT_NE(model, nullptr);
  const RgbImage a = LoadImage(kImages[0]), b = LoadImage(kImages[2]);
  auto two_images = [&](const std::string& tail) {
    Request r = Ask(nullptr, "", 4);
    r.messages = {Message::User({ContentPart::Text("Compare the first image"), ContentPart::Image(a),
                                 ContentPart::Text("with the second"), ContentPart::Image(b),
                                 ContentPart::Text(tail)})};
    return r;
  };
  auto engine = std::move(Engine::Create(model.get(), Base())).value();
  auto naive = std::move(Engine::Create(model.get(), EngineOptions::Naive(Base()))).value();
  // Long enough that its full pages (what the prefix cache keeps) hold all it shares with
  // the next prompt, whatever the family's system prompt.
  const Request first = two_images(
      "What differs between them? List every difference in the objects, their colours, their "
      "places and the light, the most striking first; say which of the two images is sharper and "
      "why, and what each of them shows that the other one does not show at all.");
  auto first_done = engine->Generate(first);
  ASSERT_TRUE(first_done.ok()) << first_done.status().ToString();
  const Request again = two_images("Which one is brighter? Answer briefly.");
  const int64_t shared = SharedPrefix(model.get(), first, again);
  const int64_t page = Base().kv_page_tokens;
  ASSERT_GT(first_done->timings.prompt_tokens / page * page, shared)
      << "lengthen the first question";
  auto hit = engine->Generate(again);
  auto scratch = naive->Generate(again);
  ASSERT_TRUE(hit.ok() && scratch.ok());
  EXPECT_EQ(hit->prefix_tokens_reused, shared);
  EXPECT_EQ(hit->images_from_cache, 2);
  EXPECT_EQ(hit->tokens, scratch->tokens);
  ASSERT_EQ(hit->prefill_logits.size(), scratch->prefill_logits.size());
  EXPECT_EQ(0, std::memcmp(hit->prefill_logits.data(), scratch->prefill_logits.data(),
                           hit->prefill_logits.size() * sizeof(float)));
  // The same image with different text before it changes every position after that
  // text: what comes before the differing text is reused, nothing past it.
  Request shifted = first;
  shifted.messages[0].content[0].text = "Compare the very first image";
  auto moved = engine->Generate(shifted);
  ASSERT_TRUE(moved.ok());
  EXPECT_EQ(moved->prefix_tokens_reused, SharedPrefix(model.get(), first, shifted));
  EXPECT_LT(moved->prefix_tokens_reused, shared);
}

// Budgets that force eviction: results stay identical, memory stays within the budgets.
TEST_P(EngineCacheTest, TinyBudgetsEvictAndStayExact) {
  auto model = MakeModel("tiny", 2);
  ASSERT_NE(model, nullptr);
  const RgbImage image = LoadImage(kImages[1]);
  Workload w = MakeWorkload(image, 0, false);
  // The query twice more over: cached pages and features are reused, then evicted.
  for (int rep = 0; rep < 2; ++rep) {
    const size_t base = w.calls.size();
    for (size_t i = 0; i < 6; ++i) w.calls.push_back(w.calls[i]);
    w.batches.push_back({base});
    w.batches.push_back({base + 1, base + 2, base + 3, base + 4});
    w.batches.push_back({base + 5});
  }
  const std::vector<Completion> naive = RunWorkload(model.get(), EngineOptions::Naive(Base()), w);

  EngineOptions tight = Base();
  tight.kv_page_tokens = 16;
  const int64_t page_bytes = 16 * 2 * model->text_shape().layers * model->text_shape().kv_row_width() * 4;
  // Room for the batch of four running at once, little more: cached pages must go.
  tight.kv_cache_bytes = 12 * page_bytes;
  // Room for a little more than the image's features: the crops push it out.
  auto engine = std::move(Engine::Create(model.get(), Base())).value();
  // What the cache keeps for the image: its merged embeddings and any per-layer features.
  const PreprocessedImage pre = *PreprocessImage(image, engine->preprocess_params());
  const ImageGrid grid{pre.grid_t, pre.grid_h, pre.grid_w};
  const VisionOutput features = *model->EncodeImages(pre.pixel_values.data(), std::span(&grid, 1), nullptr, nullptr);
  int64_t image_bytes = static_cast<int64_t>(features.embeds.size()) * 4;
  for (const auto& level : features.deepstack) image_bytes += static_cast<int64_t>(level.size()) * 4;
  tight.vision_cache_bytes = image_bytes * 5 / 4;
  EngineStats stats;
  const std::vector<Completion> got = RunWorkload(model.get(), tight, w, &stats);
  ExpectSame(naive, got, "tight budgets");
  EXPECT_LE(stats.kv.pages_allocated * stats.kv.page_bytes, tight.kv_cache_bytes);
  EXPECT_LE(stats.kv.peak_pages, stats.kv.max_pages);
  EXPECT_GT(stats.prefix_cache.evictions, 0);
  EXPECT_LE(stats.vision_cache.bytes, tight.vision_cache_bytes);
  EXPECT_GT(stats.vision_cache.evictions, 0);
  EXPECT_GT(stats.prefix_cache.tokens_reused, 0);
}

// A request whose KV cannot fit even alone fails clearly; the others in its batch run.
TEST_P(EngineCacheTest, RequestLargerThanTheKvBudgetFailsAlone) {
  auto model = MakeModel("tiny", 1);
  ASSERT_NE(model, nullptr);
  EngineOptions o = Base();
  o.kv_page_tokens = 16;
  o.kv_cache_bytes = 4 * 16 * 2 * model->text_shape().layers * model->text_shape().kv_row_width() * 4;
  auto engine = std::move(Engine::Create(model.get(), o)).value();
  std::vector<Request> batch = {Ask(nullptr, "short", 4), Ask(nullptr, "long", 200), Ask(nullptr, "short too", 4)};
  auto out = engine->GenerateBatch(batch);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_TRUE(out[0].ok());
  ASSERT_FALSE(out[1].ok());
  EXPECT_EQ(out[1].status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(out[1].status().message().find("KV pages"), std::string::npos) << out[1].status().ToString();
  EXPECT_TRUE(out[2].ok());
  // No request holds a page any more: those in use are the prefix cache's.
  const EngineStats stats = engine->Stats();
  EXPECT_EQ(stats.kv.pages_in_use, stats.prefix_cache.nodes);
}

#endif  // CORGI_CACHE_MATRIX

}  // namespace
}  // namespace corgi
