// Qwen2.5-VL boxes through the real LocalVlm: a tiny synthetic qwen2_5_vl checkpoint gives
// the grounding space and the model-input geometry (its own preprocessor_config.json and
// the engine's pixel cap), and recorded model text in that pixel space goes through the
// whole pipeline. Random weights write no usable boxes, so the text is replayed while the
// frame comes from the loaded model — the path `corgi ask -m QWEN25_DIR` takes.
#include <unistd.h>

#include <filesystem>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "corgi/pipeline/local_vlm.h"
#include "corgi/pipeline/pipeline.h"
#include "corgi/pipeline/results_json.h"
#include "model/synthetic_checkpoint_test_util.h"
#include "pipeline/pipeline_test_util.h"

namespace corgi::pipeline {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

// Geometry (grounding space, model-input size, name) from a LocalVlm; the text from
// recordings. Keeps each request's images so the crops can be checked.
class LocalGeometryReplayText : public Vlm {
 public:
  LocalGeometryReplayText(const LocalVlm* local, ReplayVlm* replay)
      : local_(local), replay_(replay) {}
  StatusOr<Completion> Generate(const Request& request, const CallInfo& call) override {
    for (const Message& m : request.messages) {
      for (const ContentPart& p : m.content) {
        if (p.kind == ContentPart::Kind::kImage)
          images[call.phase + std::to_string(call.step)] = *p.image;
      }
    }
    return replay_->Generate(request, call);
  }
  std::string name() const override { return local_->name(); }
  GroundingSpace grounding_space() const override { return local_->grounding_space(); }
  StatusOr<std::pair<int64_t, int64_t>> ModelInputSize(int64_t height,
                                                       int64_t width) const override {
    return local_->ModelInputSize(height, width);
  }
  std::map<std::string, RgbImage> images;  // by phase + step

 private:
  const LocalVlm* local_;
  ReplayVlm* replay_;
};

class LocalVlmQwen25Test : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = (fs::temp_directory_path() / ("corgi_local_vlm_qwen25_" + std::to_string(::getpid())))
               .string();
    fs::remove_all(dir_);
    Status s = test_models::WriteTinyCheckpoint(dir_, /*seed=*/5, DType::kF32, "qwen2_5_vl");
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto m = LoadModel(dir_);
    ASSERT_TRUE(m.ok()) << m.status().ToString();
    model_ = std::move(*m).release();
  }
  static void TearDownTestSuite() {
    delete model_;
    model_ = nullptr;
    fs::remove_all(dir_);
  }
  static std::unique_ptr<Engine> MakeEngine(int64_t max_pixels = 0) {
    EngineOptions o{1, 2048, 64};
    o.max_pixels = max_pixels;
    auto engine = Engine::Create(model_, o);
    EXPECT_TRUE(engine.ok()) << engine.status().ToString();
    return engine.ok() ? std::move(*engine) : nullptr;
  }

  static std::string dir_;
  static LoadedModel* model_;
};
std::string LocalVlmQwen25Test::dir_;
LoadedModel* LocalVlmQwen25Test::model_ = nullptr;

using Hw = std::pair<int64_t, int64_t>;

TEST_F(LocalVlmQwen25Test, GroundingSpaceAndModelInputSize) {
  ASSERT_EQ(model_->model_type(), "qwen2_5_vl");
  auto engine = MakeEngine();
  ASSERT_NE(engine, nullptr);
  LocalVlm vlm(engine.get(), LocalVlmOptions{});
  EXPECT_EQ(vlm.grounding_space(), GroundingSpace::kResizedInputPixels);
  ASSERT_EQ(model_->preprocessor().patch_size * model_->preprocessor().merge_size, 28);
  // smart_resize, factor 28, 3136..12845056: each side rounds to a multiple of 28;
  // 768 / 28 = 27.43 -> 27 (756), 1024 / 28 = 36.57 -> 37 (1036).
  EXPECT_EQ(*vlm.ModelInputSize(768, 1024), Hw(756, 1036));
  // 20x30 -> 28x28 = 784 < 3136: scaled by sqrt(3136 / 600) = 2.286 and rounded up:
  // ceil(45.7 / 28) = 2 (56), ceil(68.6 / 28) = 3 (84).
  EXPECT_EQ(*vlm.ModelInputSize(20, 30), Hw(56, 84));
  EXPECT_FALSE(vlm.ModelInputSize(768, 0).ok());

  // image.max_pixels caps the engine's input, and with it the frame boxes are written in:
  // 756 x 1036 > 448 x 448 = 200704, so scaled by sqrt(786432 / 200704) = 1.9795 and
  // rounded down: floor(387.97 / 28) = 13 (364), floor(517.30 / 28) = 18 (504).
  auto capped = MakeEngine(448 * 448);
  ASSERT_NE(capped, nullptr);
  LocalVlm capped_vlm(capped.get(), LocalVlmOptions{});
  EXPECT_EQ(*capped_vlm.ModelInputSize(768, 1024), Hw(364, 504));
}

// 1024 x 768 (width x height) -> model input 1036 x 756. The recorded boxes, in that
// model's pixels, and what they must become:
//   step 1 (reasoning)     [259, 189, 777, 567]: 259/1036 = 0.25, 189/756 = 0.25,
//                           777/1036 = 0.75, 567/756 = 0.75 -> original [256, 192, 768, 576]
//   step 2 (grounding)     [518, 0, 1036, 378]:  0.5, 0, 1, 0.5 -> original [512, 0, 1024, 384]
//   key evidence (swapped) [777, 567, 259, 189]: as step 1
// Read as Qwen3-VL's 0..1000, step 1 would be [0.259, 0.189, 0.777, 0.567]: wrong.
std::string PixelReplay() {
  std::string reasoning =
      "<THINKING>Find the ball, then read the sign.</THINKING>\n<STRUCTURED_STEPS>{\"steps\": ["
      "{\"index\": 1, \"statement\": \"A red ball is in the middle\", \"reason\": \"find it\", "
      "\"need_object_captioning\": true, \"need_text_ocr\": false, \"bbox\": [259, 189, 777, "
      "567]}, "
      "{\"index\": 2, \"statement\": \"The sign names the shop\", \"reason\": \"read it\", "
      "\"need_object_captioning\": false, \"need_text_ocr\": true, \"bbox\": null}, "
      "{\"index\": 3, \"statement\": \"So the ball is red\", \"need_object_captioning\": false, "
      "\"need_text_ocr\": false, \"bbox\": null}]}</STRUCTURED_STEPS>";
  std::string synthesis =
      "{\"answer\": \"red\", \"explanation\": \"The ball is red.\", \"key_evidence\": [{\"bbox\": "
      "[777, 567, 259, 189], \"description\": \"ball\", \"reasoning\": \"it is red\"}]}";
  Json j = {{"completions",
             {{{"phase", "reasoning"}, {"step", 0}, {"output", reasoning}},
              {{"phase", "grounding"},
               {"step", 2},
               {"output", R"([{"bbox_2d": [518, 0, 1036, 378], "label": "sign"}])"}},
              {{"phase", "caption"}, {"step", 1}, {"output", "A red ball on a wooden floor."}},
              {{"phase", "synthesis"}, {"step", 0}, {"output", synthesis}}}}};
  return j.dump();
}

void ExpectBox(const Box& b, double x1, double y1, double x2, double y2) {
  EXPECT_NEAR(b.x1, x1, 1e-12);
  EXPECT_NEAR(b.y1, y1, 1e-12);
  EXPECT_NEAR(b.x2, x2, 1e-12);
  EXPECT_NEAR(b.y2, y2, 1e-12);
}

const TraceCall* FindCall(const Trace& trace, const std::string& phase, int step = 0) {
  for (const TraceCall& c : trace.calls) {
    if (c.phase == phase && c.step == step) return &c;
  }
  return nullptr;
}

TEST_F(LocalVlmQwen25Test, PixelBoxesBecomeOriginalImageBoxes) {
  auto engine = MakeEngine();
  ASSERT_NE(engine, nullptr);
  LocalVlm local(engine.get(), LocalVlmOptions{"qwen25-tiny"});
  // The file names no grounding space: the frame must come from the model, not the file.
  auto replay = ReplayVlm::FromJson(PixelReplay(), "pixel replay", ReplayOptions{});
  ASSERT_TRUE(replay.ok()) << replay.status().ToString();
  LocalGeometryReplayText vlm(&local, replay->get());
  testing::FakeOcr ocr("SHOP");
  Pipeline pipeline(&vlm, &ocr, PipelineConfig{});
  RgbImage image = RgbImage::Make(768, 1024);
  Trace trace;
  StatusOr<Result> r =
      pipeline.Run(Query{"ball.png", image, "What color is the ball?"}, nullptr, &trace);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_FALSE(r->error.has_value()) << *r->error;
  // No box was clamped or dropped: only the swapped key-evidence corners are repaired.
  EXPECT_EQ(r->warnings,
            std::vector<std::string>{"key evidence 1: box corners were swapped; fixed"});

  ASSERT_EQ(r->steps.size(), 3u);
  ASSERT_EQ(r->steps[0].boxes.size(), 1u);
  ExpectBox(r->steps[0].boxes[0], 0.25, 0.25, 0.75, 0.75);  // [256, 192, 768, 576] of 1024x768
  EXPECT_EQ(r->steps[1].box_source, BoxSource::kGrounding);
  ASSERT_EQ(r->steps[1].boxes.size(), 1u);
  ExpectBox(r->steps[1].boxes[0], 0.5, 0.0, 1.0, 0.5);  // [512, 0, 1024, 384]
  ASSERT_EQ(r->key_evidence.size(), 1u);
  ExpectBox(r->key_evidence[0].box, 0.25, 0.25, 0.75, 0.75);  // corners swapped back
  ASSERT_EQ(r->evidence.size(), 2u);
  EXPECT_EQ(r->evidence[1].text, "SHOP");
  EXPECT_EQ(r->answer, "red");

  // The crop captioned is the step-1 box of the original, grown by 12.5% per side:
  // x 0.1875..0.8125 of 1024 = 192..832, y 0.1875..0.8125 of 768 = 144..624.
  ASSERT_EQ(vlm.images.count("caption1"), 1u);
  EXPECT_EQ(vlm.images["caption1"].width, 640);
  EXPECT_EQ(vlm.images["caption1"].height, 480);

  // Prompts speak the model's space: its input size, and boxes converted back to it.
  EXPECT_EQ(trace.grounding_space, "resized_input_pixels");
  const TraceCall* reasoning = FindCall(trace, "reasoning");
  ASSERT_NE(reasoning, nullptr);
  EXPECT_NE(reasoning->prompt.find("pixel coordinates of the 1036x756 image"), std::string::npos)
      << reasoning->prompt;
  const TraceCall* grounding = FindCall(trace, "grounding", 2);
  ASSERT_NE(grounding, nullptr);
  EXPECT_NE(grounding->prompt.find("1036x756"), std::string::npos) << grounding->prompt;
  const TraceCall* synthesis = FindCall(trace, "synthesis");
  ASSERT_NE(synthesis, nullptr);
  EXPECT_NE(synthesis->prompt.find("[259, 189, 777, 567]"), std::string::npos) << synthesis->prompt;
  EXPECT_NE(synthesis->prompt.find("[518, 0, 1036, 378]"), std::string::npos) << synthesis->prompt;
  EXPECT_EQ(r->model, "qwen25-tiny");
}

}  // namespace
}  // namespace corgi::pipeline
