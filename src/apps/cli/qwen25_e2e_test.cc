// End to end on the built `corgi` binary with a Qwen2.5-VL checkpoint: make-model writes a
// tiny qwen2_5_vl one, then `ask` and `batch` run the whole pipeline on it (random
// weights: the text is garbage and may be repaired or fail per the pipeline's rules, but
// every run ends in files, never a crash), and `ask --replay` with a pixel-space recording
// converts its boxes in the file's space.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "apps/cli/process_test_util.h"
#include "corgi/core/mapped_file.h"
#include "io/io_test_util.h"

namespace corgi::cli {
namespace {

namespace fs = std::filesystem;
using io_test::TempDir;
using Json = nlohmann::json;

const std::string kCorgi = std::string(CORGI_BINARY_DIR) + "/src/apps/corgi";
// 256 x 256 -> Qwen2.5-VL input 252 x 252 (256 / 28 = 9.14 -> 9 x 28).
const std::string kSquare = std::string(CORGI_SHARED_DATA) + "/images/qwen3_vl_jax_256/horses.png";
// 314 x 281 -> 308 x 280 (11.2 -> 11 x 28, 10.04 -> 10 x 28).
const std::string kOblong = std::string(CORGI_SHARED_DATA) + "/images/qwen_finetune_demo/10149.png";

using test_process::ProcessResult;
using test_process::Slurp;
using test_process::WriteText;

Json ReadJson(const std::string& path) { return Json::parse(Slurp(path), nullptr, false); }

// Runs corgi with `args` (stdout/stderr into files in `io_dir`); killed after `limit`.
// Runs corgi with `args` (stdout/stderr into files in `io_dir`); killed after `limit`.
ProcessResult Corgi(const std::vector<std::string>& args, const std::string& io_dir,
                    std::chrono::seconds limit = std::chrono::seconds(120)) {
  return test_process::Run(kCorgi, args, io_dir, "", limit);
}

// Every box of a results.json is normalized: four numbers in [0, 1], x1 < x2, y1 < y2.
void ExpectNormalizedBoxes(const Json& result) {
  auto check = [](const Json& box) {
    ASSERT_TRUE(box.is_array() && box.size() == 4) << box;
    for (const Json& v : box) EXPECT_TRUE(v.is_number() && v >= 0.0 && v <= 1.0) << box;
    EXPECT_LT(box[0].get<double>(), box[2].get<double>()) << box;
    EXPECT_LT(box[1].get<double>(), box[3].get<double>()) << box;
  };
  for (const Json& s : result["steps"])
    for (const Json& b : s["boxes"]) check(b);
  for (const Json& e : result["evidence"]) check(e["box"]);
  for (const Json& k : result["key_evidence"]) check(k["box"]);
}

// A query's folder: results.json and trace.json in Qwen2.5-VL's space, with the reasoning
// prompt asking for pixels of `input_size` ("WxH"). The answer is whatever random weights
// say; an error in the result (unusable output) is allowed, a missing file is not.
void ExpectQwen25Outputs(const std::string& dir, const std::string& model,
                         const std::string& input_size) {
  SCOPED_TRACE(dir);
  Json result = ReadJson(dir + "/results.json");
  ASSERT_TRUE(result.is_object()) << Slurp(dir + "/results.json");
  EXPECT_EQ(result["model"], model);
  EXPECT_TRUE(result["error"].is_null() || result["error"].is_string());
  ExpectNormalizedBoxes(result);
  Json trace = ReadJson(dir + "/trace.json");
  ASSERT_TRUE(trace.is_object());
  EXPECT_EQ(trace["grounding_space"], "resized_input_pixels");
  ASSERT_FALSE(trace["calls"].empty());
  EXPECT_EQ(trace["calls"][0]["phase"], "reasoning");
  EXPECT_GT(trace["calls"][0]["generated_tokens"].get<int64_t>(), 0);
  const std::string prompt = trace["calls"][0]["prompt"];
  EXPECT_NE(prompt.find("pixel coordinates of the " + input_size + " image"), std::string::npos)
      << prompt;
  EXPECT_EQ(prompt.find("0 to 1000"), std::string::npos);
  EXPECT_EQ(result["counts"]["model_calls"].get<size_t>(), trace["calls"].size());
}

class Qwen25E2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(fs::exists(kCorgi)) << kCorgi;
    dir_ = new TempDir();
    model_ = dir_->path() + "/qwen25-tiny";
    ProcessResult made = Corgi({"make-model", "--family", "qwen2_5_vl", "--preset", "tiny",
                                "--seed", "0", "--dtype", "f32", model_},
                               dir_->path());
    ASSERT_EQ(made.exit_code, 0) << made.err;
    ASSERT_EQ(ReadJson(model_ + "/config.json")["model_type"], "qwen2_5_vl");
    // Budgets just above what the grammars need (reasoning: ~160 tokens for one step),
    // VLM OCR (no Tesseract), no report: seconds per query on the tiny model.
    config_ = dir_->path() + "/fast.yaml";
    WriteText(
        config_,
        "max_steps: 1\nbudgets:\n  reasoning: 180\n  grounding: 64\n  caption: 8\n  ocr_vlm: 8\n"
        "  synthesis: 64\nocr:\n  engine: vlm\nengine:\n  threads: 2\n  max_context: 2048\n"
        "outputs:\n  report: false\n");
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  // A fresh folder per test for stdout/stderr and outputs.
  std::string Scratch(const std::string& name) {
    std::string d = dir_->path() + "/" + name;
    fs::create_directories(d);
    return d;
  }

  static TempDir* dir_;
  static std::string model_, config_;
};
TempDir* Qwen25E2eTest::dir_ = nullptr;
std::string Qwen25E2eTest::model_;
std::string Qwen25E2eTest::config_;

TEST_F(Qwen25E2eTest, AskRunsTheWholePipeline) {
  const std::string io = Scratch("ask"), out = io + "/out";
  ProcessResult run =
      Corgi({"ask", "-m", model_, "--config", config_, "--image", kSquare, "--question",
             "What animals are in the picture?", "--out", out, "--json"},
            io);
  ASSERT_FALSE(run.timed_out);
  ASSERT_EQ(run.signal, 0) << run.err;
  // 0: answered; 1: the model's text was unusable (the error is printed and in the files).
  ASSERT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.exit_code << "\n" << run.err;
  Json printed = Json::parse(run.out, nullptr, false);
  ASSERT_TRUE(printed.is_object()) << run.out << run.err;
  EXPECT_EQ(run.exit_code == 0, printed["error"].is_null()) << run.err;
  if (run.exit_code == 1) {
    EXPECT_NE(run.err.find("error: "), std::string::npos) << run.err;
  }
  EXPECT_EQ(printed["image_width"], 256);
  ExpectQwen25Outputs(out, model_, "252x252");
  EXPECT_EQ(ReadJson(out + "/results.json")["question"], "What animals are in the picture?");
  EXPECT_TRUE(fs::exists(out + "/annotated.png"));
}

TEST_F(Qwen25E2eTest, BatchOfTwo) {
  const std::string io = Scratch("batch"), out = io + "/out", input = io + "/input.jsonl";
  WriteText(
      input,
      Json{{"id", "square"}, {"image", kSquare}, {"question", "What is this?"}}.dump() + "\n" +
          Json{{"id", "oblong"}, {"image", kOblong}, {"question", "What is shown?"}}.dump() + "\n");
  ProcessResult run =
      Corgi({"batch", "-m", model_, "--config", config_, "--input", input, "--out", out}, io);
  ASSERT_FALSE(run.timed_out);
  ASSERT_EQ(run.signal, 0) << run.err;
  ASSERT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.exit_code << "\n" << run.err;
  EXPECT_NE(run.out.find("2 items: "), std::string::npos) << run.out;
  std::string text = Slurp(out + "/results.jsonl");
  std::vector<Json> lines;
  for (size_t pos = 0; pos < text.size(); pos = text.find('\n', pos) + 1)
    lines.push_back(Json::parse(text.substr(pos, text.find('\n', pos) - pos), nullptr, false));
  ASSERT_EQ(lines.size(), 2u) << text;
  const char* sizes[] = {"252x252", "308x280"};
  for (size_t i = 0; i < 2; ++i) {
    ASSERT_TRUE(lines[i].is_object()) << text;
    EXPECT_EQ(lines[i]["id"], i == 0 ? "square" : "oblong");
    // An item whose query ran has its folder, even when the model's text was unusable.
    ASSERT_TRUE(lines[i]["output_dir"].is_string()) << lines[i];
    ExpectQwen25Outputs(out + "/" + lines[i]["output_dir"].get<std::string>(), model_, sizes[i]);
  }
}

// --replay answers from the recording; -m is then only the model's label, and the boxes are
// read in the file's grounding space: pixels of the 252 x 252 input here.
TEST_F(Qwen25E2eTest, AskReplayTakesTheSpaceFromTheFile) {
  const std::string io = Scratch("replay"), replay = io + "/replay.json", out = io + "/out";
  std::string reasoning =
      "<THINKING>Look.</THINKING>\n<STRUCTURED_STEPS>{\"steps\": [{\"index\": 1, \"statement\": "
      "\"A horse stands there\", \"need_object_captioning\": true, \"need_text_ocr\": false, "
      "\"bbox\": [63, 126, 189, 252]}]}</STRUCTURED_STEPS>";
  Json file = {
      {"grounding_space", "resized_input_pixels"},
      {"completions",
       {{{"phase", "reasoning"}, {"step", 0}, {"output", reasoning}},
        {{"phase", "caption"}, {"step", 1}, {"output", "A brown horse."}},
        {{"phase", "synthesis"},
         {"step", 0},
         {"output", R"({"answer": "horses", "explanation": "Horses.", "key_evidence": []})"}}}}};
  WriteText(replay, file.dump());
  ProcessResult run =
      Corgi({"ask", "--replay", replay, "-m", model_, "--config", config_, "--image", kSquare,
             "--question", "What animals?", "--out", out, "--json"},
            io);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  Json result = ReadJson(out + "/results.json");
  EXPECT_EQ(result["answer"], "horses");
  // [63, 126, 189, 252] / 252 -> [0.25, 0.5, 0.75, 1.0] of the original 256 x 256.
  EXPECT_EQ(result["steps"][0]["boxes"][0], Json::parse("[0.25, 0.5, 0.75, 1.0]"));
  EXPECT_EQ(ReadJson(out + "/trace.json")["grounding_space"], "resized_input_pixels");

  // The same recording marked relative_1000 is read as 0..1000, whatever -m names.
  file["grounding_space"] = "relative_1000";
  WriteText(replay, file.dump());
  run = Corgi({"ask", "--replay", replay, "-m", model_, "--config", config_, "--image", kSquare,
               "--question", "What animals?", "--out", out, "--json"},
              io);
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(ReadJson(out + "/results.json")["steps"][0]["boxes"][0],
            Json::parse("[0.063, 0.126, 0.189, 0.252]"));
  EXPECT_EQ(ReadJson(out + "/trace.json")["grounding_space"], "relative_1000");
}

}  // namespace
}  // namespace corgi::cli
