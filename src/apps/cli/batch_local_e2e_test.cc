// `corgi batch --parallel 3` on the local tiny Qwen3-VL checkpoint under greedy decoding:
// the queries' model calls meet in the engine's scheduler and decode together, and batch
// invariance (docs/ENGINE.md) means every call generates the same text and token count as
// in a --parallel 1 run, so every item's results and trace are the same.
#include <gtest/gtest.h>

#include <tuple>

#include "apps/cli/batch_e2e_test_util.h"

namespace corgi::cli::batch_e2e {
namespace {

// A trace's calls as (phase, step, images, raw output, generated tokens, finish reason),
// sorted: the order in which a query receives results of calls issued together may
// depend on what else decodes beside it; what each call produced may not.
std::vector<std::string> Calls(const std::string& item_dir) {
  Json trace = Json::parse(Slurp(item_dir + "/trace.json"), nullptr, false);
  EXPECT_TRUE(trace.is_object()) << item_dir;
  std::vector<std::string> calls;
  if (!trace.is_object()) return calls;
  for (const Json& c : trace["calls"]) {
    calls.push_back(Json{c["phase"], c["step"], c["images"], c["raw_output"], c["generated_tokens"],
                         c["finish_reason"]}
                        .dump());
  }
  std::sort(calls.begin(), calls.end());
  return calls;
}

TEST(BatchLocalE2eTest, ParallelGivesTheSameTokensAsOneAtATime) {
  ASSERT_TRUE(fs::exists(kCorgi)) << kCorgi;
  TempDir dir;
  const std::string model = dir.path() + "/tiny", config = dir.path() + "/fast.yaml";
  ProcessResult made =
      Corgi({"make-model", "--preset", "tiny", "--seed", "0", "--dtype", "f32", model}, dir.path());
  ASSERT_EQ(made.exit_code, 0) << made.err;
  // Small budgets, VLM OCR (no Tesseract), no report: well under a second per query.
  WriteText(
      config,
      "max_steps: 1\nbudgets:\n  reasoning: 180\n  grounding: 64\n  caption: 8\n  ocr_vlm: 8\n"
      "  synthesis: 64\nocr:\n  engine: vlm\nengine:\n  threads: 2\n  max_context: 2048\n"
      "outputs:\n  report: false\n");
  std::string input_text;
  for (const char* name : {"horses", "foxnews", "coffee_laptop"}) {
    input_text +=
        Json{{"id", name}, {"image", kImages + "/" + name + ".png"}, {"question", "What is shown?"}}
            .dump() +
        "\n";
  }
  const std::string input = dir.path() + "/input.jsonl";
  WriteText(input, input_text);
  std::map<int, std::map<std::string, Json>> lines;  // --parallel -> id -> line
  for (int parallel : {1, 3}) {
    const std::string out = dir.path() + "/p" + std::to_string(parallel);
    ProcessResult run = Corgi({"batch", "-m", model, "--config", config, "--input", input, "--out",
                               out, "--parallel", std::to_string(parallel), "--temperature", "0"},
                              dir.path());
    ASSERT_EQ(run.signal, 0) << run.err;
    // 1 would mean the random model's text was unusable for some item: still a result.
    ASSERT_TRUE(run.exit_code == 0 || run.exit_code == 1) << run.err;
    for (const Json& line : ResultLines(out + "/results.jsonl")) lines[parallel][line["id"]] = line;
    ASSERT_EQ(lines[parallel].size(), 3u) << Slurp(out + "/results.jsonl");
  }
  for (const auto& [id, one] : lines[1]) {
    SCOPED_TRACE(id);
    const Json& three = lines[3][id];
    EXPECT_EQ(three["answer"], one["answer"]);
    EXPECT_EQ(three["explanation"], one["explanation"]);
    EXPECT_EQ(three["error"], one["error"]);
    ASSERT_TRUE(one["output_dir"].is_string() && three["output_dir"].is_string());
    std::vector<std::string> calls =
        Calls(dir.path() + "/p1/" + one["output_dir"].get<std::string>());
    EXPECT_FALSE(calls.empty());
    EXPECT_EQ(Calls(dir.path() + "/p3/" + three["output_dir"].get<std::string>()), calls);
  }
}

}  // namespace
}  // namespace corgi::cli::batch_e2e
