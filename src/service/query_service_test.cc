// QueryService: replayed queries (settings per query, outputs, failures, cancellation) and
// the tiny synthetic checkpoint answering several queries at once exactly as one at a time.
#include "corgi/service/query_service.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <functional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "corgi/image/decode.h"
#include "corgi/pipeline/results_json.h"
#include "model/synthetic_checkpoint_test_util.h"

namespace corgi::service {
namespace {

namespace fs = std::filesystem;
using pipeline::PipelineConfig;

const std::string kImage =
    std::string(CORGI_SHARED_DATA) + "/images/qwen3_vl_jax_256/coffee_laptop.png";
const std::string kReplay = std::string(CORGI_TEST_DATA) + "/replay/qwen3_basic.json";

std::string TempDir(const std::string& name) {
  std::string dir =
      (fs::temp_directory_path() / (name + "_" + std::to_string(::getpid()))).string();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// results.json without what depends on timing or on what other queries left in the caches.
nlohmann::json Normalized(const pipeline::Result& r) {
  nlohmann::json j = nlohmann::json::parse(pipeline::ResultToJson(r));
  std::function<void(nlohmann::json&)> strip = [&](nlohmann::json& v) {
    if (v.is_object()) {
      for (const char* k : {"ms", "timings", "seconds", "images_from_cache",
                            "prefix_tokens_reused"})
        v.erase(k);
      for (auto& [key, child] : v.items()) strip(child);
    } else if (v.is_array()) {
      for (auto& child : v) strip(child);
    }
  };
  strip(j);
  return j;
}

std::unique_ptr<QueryService> ReplayService(PipelineConfig config) {
  ServiceOptions o;
  o.replay_path = kReplay;
  o.model_dir = "label";
  o.config = config;
  auto s = QueryService::Create(o);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

// A query on `image_path` (designated initializers would warn about the fields left out).
QueryInput Input(const std::string& image_path, const std::string& question) {
  QueryInput in;
  in.image_path = image_path;
  in.question = question;
  return in;
}

PipelineConfig VlmOcrConfig() {
  PipelineConfig c;
  c.ocr.engine = "vlm";
  return c;
}

TEST(QueryServiceReplayTest, RunsAndWritesOutputs) {
  auto service = ReplayService(VlmOcrConfig());
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->engine(), nullptr);
  EXPECT_EQ(service->model_name(), "replay:" + kReplay);
  std::vector<std::string> types;
  pipeline::EventSink sink = [&](const pipeline::Event& e) { types.push_back(e.type); };
  QueryInput in = Input(kImage, "What does the sign say?");
  in.events = &sink;
  QueryOutcome o = service->Run(in);
  ASSERT_FALSE(o.error()) << *o.error();
  EXPECT_EQ(o.result.answer, "OPEN 24 HOURS");
  EXPECT_EQ(o.result.steps.size(), 3u);
  ASSERT_FALSE(types.empty());
  EXPECT_EQ(types.front(), "pipeline_start");
  EXPECT_EQ(types.back(), "pipeline_end");

  // Replayed again: each query starts from the first recordings.
  QueryOutcome again = service->Run(Input(kImage, "What does the sign say?"));
  ASSERT_FALSE(again.error()) << *again.error();
  EXPECT_EQ(Normalized(again.result), Normalized(o.result));

  std::string dir = TempDir("corgi_service_outputs") + "/q1";
  Status w = service->WriteOutputs(o, dir);
  ASSERT_TRUE(w.ok()) << w.ToString();
  EXPECT_TRUE(fs::exists(dir + "/results.json"));
  EXPECT_TRUE(fs::exists(dir + "/trace.json"));
  EXPECT_TRUE(fs::exists(dir + "/annotated.png"));
  EXPECT_TRUE(fs::exists(dir + "/report.html"));
  EXPECT_TRUE(fs::is_directory(dir + "/crops"));
  fs::remove_all(fs::path(dir).parent_path());
}

TEST(QueryServiceReplayTest, PerQueryConfigAppliesOnlyItsPerQueryParts) {
  auto service = ReplayService(VlmOcrConfig());
  ASSERT_NE(service, nullptr);
  PipelineConfig query = service->config();
  query.outputs.crops = false;
  query.outputs.report = false;
  query.sampling.seed = 42;
  query.budgets.synthesis = 300;
  query.engine.max_context = 512;   // not per query: stays the service's
  query.image.max_pixels = 100000;  // neither
  QueryInput in = Input(kImage, "q");
  in.config = &query;
  QueryOutcome o = service->Run(in);
  ASSERT_FALSE(o.error()) << *o.error();
  EXPECT_FALSE(o.config.outputs.crops);
  EXPECT_FALSE(o.config.outputs.report);
  EXPECT_EQ(o.config.sampling.seed, 42u);
  EXPECT_EQ(o.config.budgets.synthesis, 300);
  EXPECT_EQ(o.config.engine.max_context, service->config().engine.max_context);
  EXPECT_EQ(o.config.image.max_pixels, service->config().image.max_pixels);

  std::string dir = TempDir("corgi_service_override");
  ASSERT_TRUE(service->WriteOutputs(o, dir).ok());
  EXPECT_TRUE(fs::exists(dir + "/results.json"));
  EXPECT_FALSE(fs::exists(dir + "/report.html"));
  EXPECT_FALSE(fs::exists(dir + "/crops"));
  fs::remove_all(dir);

  // A query without settings runs with the service's.
  QueryOutcome plain = service->Run(Input(kImage, "q"));
  EXPECT_TRUE(plain.config.outputs.crops);
  EXPECT_EQ(plain.config.sampling.seed, service->config().sampling.seed);
}

TEST(QueryServiceReplayTest, DecodedImageFailuresAndCancellation) {
  auto service = ReplayService(VlmOcrConfig());
  ASSERT_NE(service, nullptr);
  // An already decoded image is used as given (the path is only recorded).
  StatusOr<RgbImage> image = DecodeImageFile(kImage);
  ASSERT_TRUE(image.ok());
  QueryInput upload = Input("upload.png", "q");
  upload.image = *image;
  QueryOutcome given = service->Run(upload);
  ASSERT_FALSE(given.error()) << *given.error();
  EXPECT_EQ(given.original.width, image->width);

  QueryOutcome missing = service->Run(Input("/no/such/image.png", "q"));
  ASSERT_TRUE(missing.failure);
  EXPECT_NE(missing.failure->find("image: "), std::string::npos);
  ASSERT_TRUE(missing.failure_status);
  EXPECT_FALSE(missing.failure_status->ok());

  CancelToken cancel;
  cancel.Cancel();
  QueryInput cancelled_input = Input(kImage, "q");
  cancelled_input.cancel = cancel;
  QueryOutcome cancelled = service->Run(cancelled_input);
  // The pipeline checks the token between calls: a cancelled query ends as Cancelled.
  if (cancelled.failure_status) {
    EXPECT_EQ(cancelled.failure_status->code(), StatusCode::kCancelled)
        << cancelled.failure_status->ToString();
  }
}

TEST(QueryServiceReplayTest, ConcurrentReplayedQueriesAreSerialized) {
  auto service = ReplayService(VlmOcrConfig());
  ASSERT_NE(service, nullptr);
  QueryOutcome first = service->Run(Input(kImage, "q"));
  ASSERT_FALSE(first.error());
  std::vector<QueryOutcome> outcomes(4);
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&, i] { outcomes[i] = service->Run(Input(kImage, "q")); });
  for (std::thread& t : threads) t.join();
  for (const QueryOutcome& o : outcomes) {
    ASSERT_FALSE(o.error()) << *o.error();
    EXPECT_EQ(Normalized(o.result), Normalized(first.result));
  }
}

TEST(QueryServiceReplayTest, CreateErrorsNameThePath) {
  ServiceOptions o;
  o.replay_path = "/no/such/replay.json";
  auto s = QueryService::Create(o);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().ToString().find("/no/such/replay.json"), std::string::npos);
  ServiceOptions m;
  m.model_dir = "/no/such/model";
  auto t = QueryService::Create(m);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().ToString().find("/no/such/model"), std::string::npos);
}

// A Qwen2.5-VL recording made under image.max_pixels replays in the same pixel frame when
// the service has the same image settings (it used to assume the checkpoint's bounds).
TEST(QueryServiceReplayTest, PixelReplayHonorsTheImagePixelCap) {
  const std::string dir = TempDir("corgi_query_service_pixel_cap");
  const std::string replay = dir + "/replay.json";
  nlohmann::json file = {
      {"grounding_space", "resized_input_pixels"},
      {"completions",
       {{{"phase", "reasoning"},
         {"step", 0},
         {"output",
          "<THINKING>x</THINKING>\n<STRUCTURED_STEPS>{\"steps\": [{\"index\": 1, \"statement\": "
          "\"a bar\", \"need_object_captioning\": true, \"need_text_ocr\": false, \"bbox\": "
          "[63, 42, 189, 126]}]}</STRUCTURED_STEPS>"}},
        {{"phase", "caption"}, {"step", 1}, {"output", "A bar."}},
        {{"phase", "synthesis"},
         {"step", 0},
         {"output", R"({"answer": "a", "explanation": "b", "key_evidence": []})"}}}}};
  std::ofstream(replay) << file.dump();
  ServiceOptions o;
  o.replay_path = replay;
  o.config = VlmOcrConfig();
  // 1000 x 700 under 50176 pixels: smart_resize (factor 28) scales by
  // sqrt(700000 / 50176) = 3.735 and rounds down: 252 x 168. [63, 42, 189, 126] is then the
  // middle half of each side. (Uncapped, 1008 x 700 would put it in the top-left corner.)
  o.config.image.max_pixels = 50176;
  auto service = QueryService::Create(o);
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  QueryInput in;
  in.image_path = "chart.png";
  in.image = RgbImage::Make(700, 1000);
  in.question = "Which bar?";
  QueryOutcome out = (*service)->Run(in);
  ASSERT_FALSE(out.failure) << *out.failure;
  ASSERT_EQ(out.result.steps.size(), 1u);
  ASSERT_EQ(out.result.steps[0].boxes.size(), 1u);
  const pipeline::Box& b = out.result.steps[0].boxes[0];
  EXPECT_DOUBLE_EQ(b.x1, 0.25);
  EXPECT_DOUBLE_EQ(b.y1, 0.25);
  EXPECT_DOUBLE_EQ(b.x2, 0.75);
  EXPECT_DOUBLE_EQ(b.y2, 0.75);
  fs::remove_all(dir);
}

// The tiny random checkpoint: 3 queries at once give what they give one at a time.
TEST(QueryServiceTinyModelTest, ConcurrentRunsMatchSequentialRuns) {
  std::string dir = TempDir("corgi_service_tiny");
  Status s = test_models::WriteTinyCheckpoint(dir, /*seed=*/5, DType::kF32);
  ASSERT_TRUE(s.ok()) << s.ToString();

  ServiceOptions o;
  o.model_dir = dir;
  o.config.ocr.engine = "vlm";
  o.config.max_steps = 2;
  o.config.budgets.reasoning = 256;
  o.config.budgets.grounding = 64;
  o.config.budgets.caption = 8;
  o.config.budgets.ocr_vlm = 8;
  o.config.budgets.synthesis = 128;
  o.config.engine.threads = 2;
  o.config.engine.max_context = 2048;
  auto service = QueryService::Create(o);
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  ASSERT_NE((*service)->engine(), nullptr);

  const std::vector<std::string> questions = {"What is on the table?", "What colour is the cup?",
                                              "Is there a laptop?"};
  std::vector<nlohmann::json> sequential;
  for (const std::string& q : questions) {
    QueryOutcome out = (*service)->Run(Input(kImage, q));
    ASSERT_FALSE(out.failure) << *out.failure;
    sequential.push_back(Normalized(out.result));
  }
  std::vector<QueryOutcome> concurrent(questions.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < questions.size(); ++i)
    threads.emplace_back([&, i] {
      concurrent[i] = (*service)->Run(Input(kImage, questions[i]));
    });
  for (std::thread& t : threads) t.join();
  for (size_t i = 0; i < questions.size(); ++i) {
    ASSERT_FALSE(concurrent[i].failure) << *concurrent[i].failure;
    EXPECT_EQ(Normalized(concurrent[i].result), sequential[i]) << questions[i];
  }
  service->reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace corgi::service
