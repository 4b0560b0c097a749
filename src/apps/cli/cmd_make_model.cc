// corgi make-model: writes a synthetic checkpoint of any registered family in the Hugging
// Face layout.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>

#include "apps/cli/commands.h"
#include "apps/cli/flags.h"
#include "corgi/core/thread_pool.h"
#include "corgi/model/registry.h"

#ifndef CORGI_DEFAULT_TOKENIZER_SOURCE
#define CORGI_DEFAULT_TOKENIZER_SOURCE "../shared/data/tokenizer"
#endif

namespace corgi::cli {
namespace {

// The tokenizer files come from shared/data; look beside the working directory first,
// then where the build found them.
std::string DefaultTokenizerSource() {
  for (const char* candidate : {"../shared/data/tokenizer", CORGI_DEFAULT_TOKENIZER_SOURCE}) {
    if (std::filesystem::exists(std::string(candidate) + "/qwen3-derived/tokenizer.json")) return candidate;
  }
  return CORGI_DEFAULT_TOKENIZER_SOURCE;
}

}  // namespace

int RunMakeModel(int argc, char** argv) {
  std::string families, presets;
  for (const ModelFamily& f : ModelFamilies()) {
    families += (families.empty() ? "" : ", ") + f.model_type;
    presets += "\n  " + f.model_type + ":";
    for (const std::string& p : f.presets) presets += " " + p;
  }
  FlagParser flags("corgi make-model [--family TYPE] --preset NAME [--seed N] [--dtype bf16|f32|f16] [--logit-std S] DIR",
                   "Writes a Hugging Face-layout checkpoint with deterministic random weights.\n"
                   "Real shapes and tensor names; the text it generates is meaningless. Presets:" + presets);
  std::string* family_name =
      flags.String("family", ModelFamilies().front().model_type, "model family (model_type): " + families, "TYPE");
  std::string* preset = flags.String("preset", "tiny", "model shape (see the list above)", "NAME");
  int64_t* seed = flags.Int("seed", 0, "random seed (same seed, same bytes)");
  std::string* dtype = flags.String("dtype", "bf16", "weight dtype: bf16, f32 or f16", "TYPE");
  std::string* tokenizer = flags.String("tokenizer-from", "", "tokenizer sources (shared/data/tokenizer)", "DIR");
  double* logit_std = flags.Double("logit-std", 0.0,
                                   "scale the final norm so logits have about this std: peaked next-token "
                                   "distributions like a trained model's (e.g. 6; 0: off)",
                                   "S");
  int64_t* threads = AddThreadsFlag(&flags, "worker threads (0: all cores)");
  if (!flags.Parse(argc, argv)) return flags.exit_code();
  if (flags.positional().size() != 1) {
    std::fprintf(stderr, "error: give exactly one output directory\n");
    flags.PrintUsage();
    return 2;
  }
  const std::string out = flags.positional()[0];

  StatusOr<const ModelFamily*> family = FindModelFamily(*family_name);
  if (!family.ok()) {
    std::fprintf(stderr, "error: --family: %s\n", family.status().message().c_str());
    return 2;
  }
  const std::vector<std::string>& known = (*family)->presets;
  if (std::find(known.begin(), known.end(), *preset) == known.end()) {
    std::string list;
    for (const std::string& p : known) list += (list.empty() ? "" : ", ") + p;
    std::fprintf(stderr, "error: unknown %s preset '%s' (choose %s)\n", (*family)->model_type.c_str(),
                 preset->c_str(), list.c_str());
    return 2;
  }
  SyntheticOptions options;
  options.seed = static_cast<uint64_t>(*seed);
  if (*logit_std < 0 || *logit_std > 100) {
    std::fprintf(stderr, "error: --logit-std must be in [0, 100], got %g\n", *logit_std);
    return 2;
  }
  options.logit_std = static_cast<float>(*logit_std);
  options.tokenizer_source = tokenizer->empty() ? DefaultTokenizerSource() : *tokenizer;
  if (*dtype == "bf16") {
    options.dtype = DType::kBF16;
  } else if (*dtype == "f32") {
    options.dtype = DType::kF32;
  } else if (*dtype == "f16") {
    options.dtype = DType::kF16;
  } else {
    std::fprintf(stderr, "error: --dtype must be bf16, f32 or f16, not '%s'\n", dtype->c_str());
    return 2;
  }

  StatusOr<std::unique_ptr<ThreadPool>> pool = ThreadPool::Create(static_cast<size_t>(*threads));
  if (!pool.ok()) {
    std::fprintf(stderr, "error: %s\n", pool.status().ToString().c_str());
    return 1;
  }
  auto start = std::chrono::steady_clock::now();
  Status status = (*family)->write_synthetic(*preset, options, out, pool->get());
  if (!status.ok()) {
    std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
    return 1;
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  StatusOr<CheckpointSummary> summary = SummarizeCheckpoint(out);
  if (!summary.ok()) {
    std::fprintf(stderr, "error: the written checkpoint does not load: %s\n", summary.status().ToString().c_str());
    return 1;
  }
  std::printf("wrote %s: preset %s, seed %lld, %s, %.1f M parameters, %.1f MB in %zu file(s), %.1f s\n",
              out.c_str(), preset->c_str(), static_cast<long long>(*seed), dtype->c_str(),
              summary->total_parameters / 1e6, summary->file_bytes / 1e6, summary->files.size(), seconds);
  return 0;
}

}  // namespace corgi::cli
