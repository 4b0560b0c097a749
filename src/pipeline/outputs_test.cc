#include "corgi/pipeline/outputs.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "corgi/core/mapped_file.h"
#include "corgi/image/decode.h"
#include "corgi/pipeline/results_json.h"
#include "pipeline/boxes.h"
#include "pipeline/pipeline_test_util.h"

namespace corgi::pipeline {
namespace {

namespace fs = std::filesystem;
using testing::FakeOcr;
using testing::ReplayPath;
using testing::ReplayRun;
using testing::RunWith;

class OutputsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("corgi_outputs_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    auto vlm = ReplayVlm::FromFile(ReplayPath("qwen3_basic.json"), ReplayOptions{});
    ASSERT_TRUE(vlm.ok()) << vlm.status().ToString();
    FakeOcr ocr;
    run_ = RunWith(vlm->get(), &ocr, PipelineConfig{});
    ASSERT_TRUE(run_.result.ok()) << run_.result.status().ToString();
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path dir_;
  ReplayRun run_;
};

TEST_F(OutputsTest, WritesEveryFile) {
  PipelineConfig config;
  // The output directory does not exist yet (nested): it is created.
  std::string out = (dir_ / "q1").string();
  RgbImage original = testing::TestImage();
  Status s = WriteQueryOutputs(*run_.result, &run_.trace, original, config, out);
  ASSERT_TRUE(s.ok()) << s.ToString();

  StatusOr<std::string> results = ReadFileToString(out + "/results.json");
  ASSERT_TRUE(results.ok());
  EXPECT_EQ(*results, ResultToJson(*run_.result) + "\n");
  StatusOr<std::string> trace = ReadFileToString(out + "/trace.json");
  ASSERT_TRUE(trace.ok());
  EXPECT_TRUE(TraceFromJson(*trace, "trace.json").ok());

  StatusOr<RgbImage> png = DecodeImageFile(out + "/original.png");
  ASSERT_TRUE(png.ok()) << png.status().ToString();
  EXPECT_EQ(png->pixels, original.pixels);  // PNG is lossless
  StatusOr<RgbImage> crop = DecodeImageFile(out + "/crops/step1_object.png");
  ASSERT_TRUE(crop.ok()) << crop.status().ToString();
  StatusOr<RgbImage> expected = CropForEvidence(original, run_.result->evidence[0].box, 0.125);
  EXPECT_EQ(crop->pixels, expected->pixels);
  EXPECT_TRUE(fs::exists(out + "/crops/step2_text.png"));
  EXPECT_TRUE(fs::exists(out + "/annotated.png"));
  EXPECT_TRUE(fs::exists(out + "/report.html"));
}

TEST_F(OutputsTest, HonorsTheOutputSwitches) {
  PipelineConfig config;
  config.outputs.trace = false;
  config.outputs.report = false;
  config.outputs.visualization = false;
  config.outputs.crops = false;
  Result result = *run_.result;
  for (Evidence& e : result.evidence) e.crop_file.clear();  // as the pipeline does then
  Status s = WriteQueryOutputs(result, &run_.trace, testing::TestImage(), config, dir_.string());
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(fs::exists(dir_ / "results.json"));
  EXPECT_TRUE(fs::exists(dir_ / "original.png"));
  EXPECT_FALSE(fs::exists(dir_ / "trace.json"));
  EXPECT_FALSE(fs::exists(dir_ / "crops"));
  EXPECT_FALSE(fs::exists(dir_ / "annotated.png"));
  EXPECT_FALSE(fs::exists(dir_ / "report.html"));
}

TEST_F(OutputsTest, RejectsCropPathsOutsideTheDirectory) {
  PipelineConfig config;
  config.outputs.report = false;
  config.outputs.visualization = false;
  Result result = *run_.result;
  result.evidence[0].crop_file = "../escape.png";
  Status s = WriteQueryOutputs(result, nullptr, testing::TestImage(), config, dir_.string());
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(dir_.parent_path() / "escape.png"));
}

}  // namespace
}  // namespace corgi::pipeline
