// corgi quantize: a float checkpoint -> the same checkpoint with corgi's Q8/Q6/Q4 weights,
// loadable by every command with mmap (docs/QUANTIZATION.md).
#include <chrono>
#include <cstdio>

#include "apps/cli/commands.h"
#include "apps/cli/flags.h"
#include "apps/cli/model_path.h"
#include "corgi/core/thread_pool.h"
#include "corgi/model/fp8_synthetic.h"
#include "corgi/model/quantize_checkpoint.h"
#include "corgi/model/registry.h"

namespace corgi::cli {

int RunQuantize(int argc, char** argv) {
  FlagParser flags("corgi quantize IN_DIR OUT_DIR --type q8|q4|fp8 [-t N]",
                   "Writes OUT_DIR: IN_DIR's checkpoint with its linear weights in corgi's block formats.\n"
                   "q8: every linear weight, the embedding and lm_head in 8 bits (8.5 bits per weight).\n"
                   "q4: the text decoder's linears in 4 bits (4.5 bits per weight, asymmetric), the embedding,\n"
                   "    lm_head and some layers' v/down projections in 6 bits (6.5625), the vision tower in 8.\n"
                   "fp8: the layout of Qwen's FP8 releases (text-decoder linears in float8_e4m3 with\n"
                   "     128x128 block scales), which corgi runs as q8 and vLLM/transformers read too.\n"
                   "Tokenizer and configs are copied; config.json gains a quantization_config.");
  std::string* type = flags.String("type", "", "q8, q4 or fp8", "FORMAT");
  bool* decoded = flags.Bool("decoded",
                             "write the quantized weights decoded back to float32 (a float checkpoint with exactly\n"
                             "the values q8/q4 store: their weight error without int8 activations, for accuracy studies)");
  int64_t* threads = AddThreadsFlag(&flags, "worker threads (0: all cores)");
  if (!flags.Parse(argc, argv)) return flags.exit_code();
  if (flags.positional().size() != 2) {
    std::fprintf(stderr, "error: give the input and the output directory\n");
    flags.PrintUsage();
    return 2;
  }
  StatusOr<WeightsMode> mode = ParseWeightsMode(*type);
  const bool fp8 = *type == "fp8";
  if (!fp8 && (type->empty() || !mode.ok() || *mode == WeightsMode::kAsStored)) {
    std::fprintf(stderr, "error: --type must be q8, q4 or fp8, got '%s'\n", type->c_str());
    return 2;
  }
  StatusOr<std::string> in = ResolveModelPath(flags.positional()[0]);
  if (!in.ok()) {
    std::fprintf(stderr, "error: %s\n", in.status().message().c_str());
    return 1;
  }
  const std::string out = flags.positional()[1];
  StatusOr<std::unique_ptr<ThreadPool>> pool = ThreadPool::Create(static_cast<size_t>(*threads));
  if (!pool.ok()) {
    std::fprintf(stderr, "error: %s\n", pool.status().ToString().c_str());
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  if (fp8 && *decoded) {
    std::fprintf(stderr, "error: --decoded is for q8 and q4\n");
    return 2;
  }
  if (fp8) {
    Status written = WriteFp8Checkpoint(*in, out);
    StatusOr<CheckpointSummary> summary = written.ok() ? SummarizeCheckpoint(out) : StatusOr<CheckpointSummary>(written);
    if (!summary.ok()) {
      std::fprintf(stderr, "error: %s\n", summary.status().ToString().c_str());
      return 1;
    }
    std::printf("wrote %s: fp8 (float8_e4m3, 128x128 block scales), %.1f MB of tensors, %.1f s\n", out.c_str(),
                summary->weight_bytes / 1e6,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    return 0;
  }
  StatusOr<QuantizeReport> report = QuantizeCheckpoint(*in, out, *mode, pool->get(), *decoded);
  if (!report.ok()) {
    std::fprintf(stderr, "error: %s\n", report.status().ToString().c_str());
    return 1;
  }
  // Prove the result loads before saying it was written.
  StatusOr<CheckpointSummary> summary = SummarizeCheckpoint(out);
  if (!summary.ok()) {
    std::fprintf(stderr, "error: the written checkpoint does not load: %s\n", summary.status().ToString().c_str());
    return 1;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("wrote %s: %s%s, %lld tensors quantized, %lld copied, %.1f MB -> %.1f MB of tensors (%.2fx), %.1f s\n",
              out.c_str(), WeightsModeName(*mode), *decoded ? " decoded to float32" : "", static_cast<long long>(report->tensors_quantized),
              static_cast<long long>(report->tensors_copied), report->bytes_in / 1e6, report->bytes_out / 1e6,
              report->bytes_out > 0 ? static_cast<double>(report->bytes_in) / report->bytes_out : 0.0, seconds);
  return 0;
}

}  // namespace corgi::cli
