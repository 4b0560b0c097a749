// corgi inspect: architecture, parameter counts, dtypes, files and memory of a checkpoint.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "apps/cli/commands.h"
#include "apps/cli/flags.h"
#include "apps/cli/model_path.h"
#include "corgi/model/registry.h"

namespace corgi::cli {
namespace {

std::string Human(double bytes) {
  const char* units[] = {"B", "KB", "MB", "GB", "TB"};
  int u = 0;
  while (bytes >= 1000 && u < 4) {
    bytes /= 1000;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.2f %s", bytes, units[u]);
  return buf;
}

nlohmann::json ToJson(const CheckpointSummary& s) {
  nlohmann::json j;
  j["directory"] = s.directory;
  j["architecture"] = s.architecture;
  j["model_type"] = s.model_type;
  for (const auto& [label, line] : s.shape) j["shape"][label] = line;
  j["parameters"] = {{"text", s.text_parameters}, {"vision", s.vision_parameters}, {"total", s.total_parameters}};
  for (const auto& p : s.parts)
    j["parts"].push_back({{"part", p.part},
                          {"parameters", p.parameters},
                          {"tensors", p.tensors},
                          {"bytes", p.bytes},
                          {"formats", p.format_bytes}});
  j["tied_embeddings"] = s.lm_head_tied;
  j["dtypes"] = s.dtype_tensors;
  j["quantization"] = s.quantization.empty() ? nlohmann::json(nullptr) : nlohmann::json(s.quantization);
  for (const auto& [path, size] : s.files) j["files"].push_back({{"path", path}, {"bytes", size}});
  j["memory"] = {{"weights_bytes", s.weight_bytes},
                 {"kv_cache_bytes_per_token", s.kv_bytes_per_token},
                 {"vision_scratch_bytes_1024x768", s.vision_activation_bytes_1024x768}};
  j["unknown_tensors"] = s.unknown_tensors;
  return j;
}

void PrintText(const CheckpointSummary& s) {
  std::printf("checkpoint   %s\n", s.directory.c_str());
  std::printf("architecture %s (%s), stored as %s\n", s.architecture.c_str(), s.model_type.c_str(),
              s.stored_dtype.c_str());
  for (const auto& [label, line] : s.shape) std::printf("%-12s %s\n", label.c_str(), line.c_str());
  std::printf("\nparameters\n");
  for (const auto& p : s.parts) {
    std::string formats;
    for (const auto& [name, bytes] : p.format_bytes)
      formats += (formats.empty() ? "" : " + ") + name + " " + Human(static_cast<double>(bytes));
    std::printf("  %-18s %14lld  (%.3f B, %lld tensors, %s)\n", p.part.c_str(), (long long)p.parameters,
                p.parameters / 1e9, (long long)p.tensors, formats.c_str());
  }
  std::printf("  %-18s %14lld  (%.3f B)\n", "text total", (long long)s.text_parameters, s.text_parameters / 1e9);
  std::printf("  %-18s %14lld  (%.3f B)\n", "vision total", (long long)s.vision_parameters, s.vision_parameters / 1e9);
  std::printf("  %-18s %14lld  (%.3f B)\n", "total", (long long)s.total_parameters, s.total_parameters / 1e9);
  std::printf("  lm_head            %s\n", s.lm_head_tied ? "tied to the token embedding" : "separate tensor");
  if (!s.quantization.empty()) std::printf("quantized    %s\n", s.quantization.c_str());
  std::printf("\ndtypes      ");
  for (const auto& [dtype, count] : s.dtype_tensors) std::printf(" %s x %lld", dtype.c_str(), (long long)count);
  std::printf("\nfiles        %zu, %s\n", s.files.size(), Human(static_cast<double>(s.file_bytes)).c_str());
  for (const auto& [path, size] : s.files) std::printf("  %s (%s)\n", path.c_str(), Human(static_cast<double>(size)).c_str());
  std::printf("\nmemory\n  weights (mmap'd)          %s\n", Human(static_cast<double>(s.weight_bytes)).c_str());
  std::printf("  KV cache (f32)            %s per token, %s per 4096-token context\n",
              Human(static_cast<double>(s.kv_bytes_per_token)).c_str(),
              Human(static_cast<double>(s.kv_bytes_per_token) * 4096).c_str());
  std::printf("  vision scratch 1024x768   %s\n", Human(static_cast<double>(s.vision_activation_bytes_1024x768)).c_str());
  std::printf("  total for one 4k context  %s\n",
              Human(static_cast<double>(s.weight_bytes + s.kv_bytes_per_token * 4096 +
                                        s.vision_activation_bytes_1024x768)).c_str());
  if (!s.unknown_tensors.empty())
    std::printf("\nwarning: %zu tensors not used by the model (first: %s)\n", s.unknown_tensors.size(),
                s.unknown_tensors[0].c_str());
}

}  // namespace

int RunInspect(int argc, char** argv) {
  FlagParser flags("corgi inspect [--json] (-m DIR | DIR)",
                   "Describes a checkpoint of any supported family (by config.json's model_type) after checking\n"
                   "every tensor against the family's table.\n"
                   "DIR: a checkpoint directory or a repo id OWNER/NAME in the local Hugging Face cache.");
  std::string* model = AddModelFlag(&flags, "checkpoint directory or OWNER/NAME (or give DIR as the argument)");
  bool* json = flags.Bool("json", "print JSON instead of text");
  if (!flags.Parse(argc, argv)) return flags.exit_code();
  if (model->empty() && flags.positional().size() == 1) *model = flags.positional()[0];
  if (model->empty() || flags.positional().size() > (flags.WasSet("model") ? 0u : 1u)) {
    std::fprintf(stderr, "error: give exactly one checkpoint: -m/--model DIR or DIR\n\n");
    flags.PrintUsage();
    return 2;
  }
  if (!ResolveModelFlag(model)) return 1;
  StatusOr<CheckpointSummary> summary = SummarizeCheckpoint(*model);
  if (!summary.ok()) {
    std::fprintf(stderr, "error: %s\n", summary.status().ToString().c_str());
    return 1;
  }
  if (*json) {
    std::printf("%s\n", ToJson(*summary).dump(2).c_str());
  } else {
    PrintText(*summary);
  }
  return 0;
}

}  // namespace corgi::cli
