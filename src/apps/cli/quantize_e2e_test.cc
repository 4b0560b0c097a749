// Quantized weights end to end on the built `corgi` binary: make-model with peaked logits,
// quantize, inspect, generate, and the accuracy bounds measured on the tiny checkpoint
// (docs/QUANTIZATION.md). The bounds hold on every kernel path: quantized results are
// bitwise the same on ref, avx2 and avx512.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>
#include <nlohmann/json.hpp>

#include "apps/cli/process_test_util.h"
#include "io/io_test_util.h"

namespace corgi::cli {
namespace {

using io_test::TempDir;
using Json = nlohmann::json;
using test_process::ProcessResult;

const std::string kCorgi = std::string(CORGI_BINARY_DIR) + "/src/apps/corgi";
const std::string kImage = std::string(CORGI_SHARED_DATA) + "/images/qwen3_vl_jax_256/horses.png";

ProcessResult Corgi(const std::vector<std::string>& args, const std::string& io_dir) {
  return test_process::Run(kCorgi, args, io_dir, "", std::chrono::seconds(300));
}

class QuantizeE2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    ProcessResult made = Corgi({"make-model", "--preset", "tiny", "--logit-std", "6", "--tokenizer-from",
                                std::string(CORGI_SHARED_DATA) + "/tokenizer", Float()},
                               dir_->path());
    ASSERT_EQ(made.exit_code, 0) << made.err;
    ProcessResult q4 = Corgi({"quantize", Float(), Q4(), "--type", "q4"}, dir_->path());
    ASSERT_EQ(q4.exit_code, 0) << q4.err;
  }
  static void TearDownTestSuite() { delete dir_; }
  static std::string Float() { return dir_->path() + "/float"; }
  static std::string Q4() { return dir_->path() + "/q4"; }

  // `corgi bench accuracy` on two images (4 prompts, about 440 scored positions).
  static Json Accuracy(const std::vector<std::string>& extra) {
    std::vector<std::string> args = {"bench", "accuracy", "-m", Float(), "--images", kImage + "," + kImage,
                                     "--image-side", "224", "-t", "2"};
    args.insert(args.end(), extra.begin(), extra.end());
    ProcessResult r = Corgi(args, dir_->path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out, nullptr, false);
  }

  static TempDir* dir_;
};
TempDir* QuantizeE2eTest::dir_ = nullptr;

TEST_F(QuantizeE2eTest, InspectReportsFormatsPerPart) {
  ProcessResult r = Corgi({"inspect", "-m", Q4(), "--json"}, dir_->path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json j = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_EQ(j["quantization"], "corgi q4");
  bool decoder_q4 = false, decoder_q6 = false, embedding_q6 = false, vision_q8 = false;
  for (const Json& part : j["parts"]) {
    if (part["part"] == "text decoder") {
      decoder_q4 = part["formats"].contains("Q4");
      decoder_q6 = part["formats"].contains("Q6");  // v_proj/down_proj of MoreBitsLayer layers
    }
    if (part["part"] == "token embedding") embedding_q6 = part["formats"].contains("Q6");
    if (part["part"] == "vision tower") vision_q8 = part["formats"].contains("Q8");
  }
  EXPECT_TRUE(decoder_q4) << j["parts"];
  EXPECT_TRUE(decoder_q6) << j["parts"];
  EXPECT_TRUE(embedding_q6) << j["parts"];
  EXPECT_TRUE(vision_q8) << j["parts"];
}

TEST_F(QuantizeE2eTest, QuantizedDirectoryGeneratesAsLoadTimeQuantization) {
  auto tokens = [&](const std::vector<std::string>& model) {
    std::vector<std::string> args = {"generate", "--image", kImage, "--prompt", "What is this?", "--max-tokens", "6",
                                     "--json", "-t", "2"};
    args.insert(args.end(), model.begin(), model.end());
    ProcessResult r = Corgi(args, dir_->path());
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return Json::parse(r.out, nullptr, false)["tokens"];
  };
  const Json from_file = tokens({"-m", Q4()});
  EXPECT_EQ(from_file.size(), 6u);
  EXPECT_EQ(from_file, tokens({"-m", Float(), "--weights", "q4"}));
}

// The bounds are the tiny checkpoint's measured values with headroom (AMD EPYC Zen 4, 438
// positions): q8 KL 0.0071, top-1 0.94; q4 KL 0.42-0.59, top-1 0.55-0.60. On a 32-wide
// model the q4 KL swings that much between quantizer variants whose weight errors agree to
// 0.3 %, so the q4 bounds catch a broken kernel or format (KL well above 1), not a few
// percent; docs/QUANTIZATION.md has the precise comparisons on the small and 2b presets.
TEST_F(QuantizeE2eTest, AccuracyBoundsOnTheTinyCheckpoint) {
  const Json q8 = Accuracy({"--weights", "q8"});
  ASSERT_TRUE(q8.is_object());
  EXPECT_GE(q8["positions"].get<int64_t>(), 300);
  EXPECT_GT(q8["reference_top1_prob_median"].get<double>(), 0.15) << "--logit-std 6 must give peaked logits";
  EXPECT_LT(q8["kl_mean"].get<double>(), 0.02) << q8;
  EXPECT_GT(q8["top1_agreement"].get<double>(), 0.85) << q8;
  EXPECT_GT(q8["kl_mean"].get<double>(), 0.0) << q8;
  const Json q4 = Accuracy({"--quantized", Q4()});
  ASSERT_TRUE(q4.is_object());
  EXPECT_LT(q4["kl_mean"].get<double>(), 0.75) << q4;
  EXPECT_GT(q4["top1_agreement"].get<double>(), 0.47) << q4;
  EXPECT_GT(q4["kl_mean"].get<double>(), q8["kl_mean"].get<double>()) << "4 bits cannot beat 8";
}

// `quantize --decoded` writes the q4 values as a float checkpoint: run in float32, it differs
// from the q4 run only by the kernels' int8 activations, far less than q4 differs from the
// float model (a wrong decode — a row, a scale or a block off — would not be).
TEST_F(QuantizeE2eTest, DecodedQ4IsTheQ4WeightsInFloat) {
  const std::string decoded = dir_->path() + "/q4-decoded";
  ProcessResult made = Corgi({"quantize", Float(), decoded, "--type", "q4", "--decoded"}, dir_->path());
  ASSERT_EQ(made.exit_code, 0) << made.err;
  ProcessResult inspect = Corgi({"inspect", "-m", decoded, "--json"}, dir_->path());
  ASSERT_EQ(inspect.exit_code, 0) << inspect.err;
  const Json j = Json::parse(inspect.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << inspect.out;
  EXPECT_NE(j["quantization"], "corgi q4");
  for (const Json& part : j["parts"]) {
    if (part["part"] == "text decoder") {
      EXPECT_TRUE(part["formats"].contains("F32")) << part;
    }
  }
  std::vector<std::string> args = {"bench", "accuracy", "-m", decoded, "--quantized", Q4(), "--images",
                                   kImage + "," + kImage, "--image-side", "224", "-t", "2"};
  ProcessResult r = Corgi(args, dir_->path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json activations_only = Json::parse(r.out, nullptr, false);
  const Json q4 = Accuracy({"--quantized", Q4()});
  const Json weights_only = Accuracy({"--quantized", decoded});
  EXPECT_GT(weights_only["kl_mean"].get<double>(), 0.0) << weights_only;
  EXPECT_LT(activations_only["kl_mean"].get<double>(), 0.2 * q4["kl_mean"].get<double>())
      << activations_only << " vs " << q4;
}

// bf16 dot products (AVX512_BF16 CPUs only): closer to the float reference than q8 on the
// tiny checkpoint (measured: see docs/QUANTIZATION.md), and not identical to it.
TEST_F(QuantizeE2eTest, Bf16DotAccuracy) {
  std::vector<std::string> args = {"bench", "accuracy", "-m", Float(), "--bf16-dot", "--images",
                                   kImage + "," + kImage, "--image-side", "224", "-t", "2"};
  ProcessResult r = Corgi(args, dir_->path());
  if (r.exit_code == 1 && r.err.find("AVX512_BF16") != std::string::npos) GTEST_SKIP() << r.err;
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json j = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_TRUE(j["bf16_dot"].get<bool>());
  EXPECT_GT(j["kl_mean"].get<double>(), 0.0) << j;
  EXPECT_LT(j["kl_mean"].get<double>(), 0.005) << j;
  EXPECT_GT(j["top1_agreement"].get<double>(), 0.95) << j;
}

TEST_F(QuantizeE2eTest, BadChoicesAreUsageErrors) {
  ProcessResult bad_type = Corgi({"quantize", Float(), dir_->path() + "/x", "--type", "q3"}, dir_->path());
  EXPECT_EQ(bad_type.exit_code, 2);
  EXPECT_NE(bad_type.err.find("--type"), std::string::npos) << bad_type.err;
  ProcessResult bad_weights =
      Corgi({"generate", "-m", Float(), "--prompt", "hi", "--weights", "q3"}, dir_->path());
  EXPECT_NE(bad_weights.exit_code, 0);
  EXPECT_NE(bad_weights.err.find("--weights"), std::string::npos) << bad_weights.err;
  ProcessResult bad_ctx = Corgi({"bench", "accuracy", "-m", Float(), "--weights", "q8", "--text", kImage, "--ctx", "0"},
                                dir_->path());
  EXPECT_EQ(bad_ctx.exit_code, 2);
  EXPECT_NE(bad_ctx.err.find("--ctx"), std::string::npos) << bad_ctx.err;
  ProcessResult fp8_decoded =
      Corgi({"quantize", Float(), dir_->path() + "/x", "--type", "fp8", "--decoded"}, dir_->path());
  EXPECT_EQ(fp8_decoded.exit_code, 2);
  EXPECT_NE(fp8_decoded.err.find("--decoded"), std::string::npos) << fp8_decoded.err;
  for (const char* bench : {"serve", "pipeline"}) {
    ProcessResult bad_lookup = Corgi({"bench", bench, "-m", Float(), "--lookup", "-5"}, dir_->path());
    EXPECT_EQ(bad_lookup.exit_code, 2) << bench;
    EXPECT_NE(bad_lookup.err.find("--lookup"), std::string::npos) << bad_lookup.err;
  }
  ProcessResult again = Corgi({"quantize", Q4(), dir_->path() + "/qq", "--type", "q8"}, dir_->path());
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("already quantized"), std::string::npos) << again.err;
}

// `corgi bench model` on the q4 checkpoint: each decode entry carries the bandwidth of the
// probe reads interleaved with its steps (a shared VM's bandwidth drifts between the start
// of a bench and its decode runs), and its efficiency is judged against that.
TEST_F(QuantizeE2eTest, BenchModelInterleavesProbesWithDecode) {
  ProcessResult r = Corgi({"bench", "model", "-m", Q4(), "--images", "", "--prefill", "", "--decode-context", "4",
                           "--decode-tokens", "4", "--decode-batches", "1,2", "-t", "2"},
                          dir_->path());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const Json j = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(j.is_object()) << r.out;
  EXPECT_NE(j.value("weight_formats", "").find("Q4"), std::string::npos) << r.out;
  ASSERT_EQ(j["decode"].size(), 2u) << r.out;
  for (const Json& d : j["decode"]) {
    const double probe = d["read_bandwidth_gb_per_s"].get<double>();
    ASSERT_GT(probe, 0.0) << d.dump();
    // The tiny checkpoint reads far less than 256 MiB per step: the probe still streams 256 MiB.
    EXPECT_EQ(d["probe_bytes_per_step"].get<double>(), 256.0 * 1024 * 1024) << d.dump();
    const double expected = d["bytes_per_step"].get<double>() / (d["ms_per_step"].get<double>() / 1e3) / 1e9 / probe;
    EXPECT_NEAR(d["efficiency"].get<double>(), expected, 1e-9 * expected) << d.dump();
    EXPECT_EQ(d["steps"].get<int>(), 4);
  }
}

// Bad sizes are refused with exit code 2 before any is used: a zero prefill chunk would
// never end the prefill loop, a negative length asked for a vector of 2^64 elements, and a
// list item that is not a number used to read as 0.
TEST_F(QuantizeE2eTest, BenchModelRefusesBadSizes) {
  const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
      {{"--decode-tokens", "0"}, "--decode-tokens must be in [1, 1048576], got 0"},
      {{"--decode-context", "-5"}, "--decode-context must be in [1, 1048576], got -5"},
      {{"--prefill-chunk", "0"}, "--prefill-chunk must be in [1, 1048576], got 0"},
      {{"--prefill", "512,-3"}, "--prefill must be in [1, 1048576], got -3"},
      {{"--prefill", "12x"}, "'12x' is not an integer"},
      {{"--prefill", "1,,2"}, "'' is not an integer"},
      {{"--decode-batches", "1,x"}, "'x' is not an integer"},
      {{"--decode-batches", "300"}, "decode batch 300 outside"},
      {{"--decode-context", "1048576"}, "positions asked for"},  // beyond max_position_embeddings
  };
  for (const auto& [flags, message] : cases) {
    std::vector<std::string> args = {"bench", "model", "-m", Q4(), "--images", ""};
    args.insert(args.end(), flags.begin(), flags.end());
    ProcessResult r = Corgi(args, dir_->path());
    EXPECT_EQ(r.exit_code, 2) << flags[0] << " " << flags[1] << ": " << r.err;
    EXPECT_NE(r.err.find(message), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace corgi::cli
