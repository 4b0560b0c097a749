#include "apps/cli/batch_runtime.h"

#include <cstdio>

#include "apps/cli/model_path.h"
#include "corgi/model/registry.h"

namespace corgi::cli {

using pipeline::PipelineConfig;

CommonFlags AddCommonFlags(FlagParser* flags) {
  CommonFlags c;
  std::string families;
  for (const ModelFamily& f : ModelFamilies())
    families += (families.empty() ? "" : " or ") + f.display_name;
  c.model = AddModelFlag(flags, "checkpoint directory (Hugging Face layout; " + families +
                                    "), or a repo id OWNER/NAME in the local Hugging Face cache");
  c.config = flags->String("config", "", "YAML settings (docs/CONFIG.md); flags below override it",
                           "FILE");
  c.replay = flags->String(
      "replay", "",
      "answer from recorded completions (trace.json or docs/RESULTS.md format), no model", "FILE");
  c.remote = flags->String("remote", "",
                           "run every phase on an OpenAI-compatible server at this API base, e.g. "
                           "http://host:8000/v1 (docs/REMOTE.md; config: models.default)",
                           "URL");
  c.remote_model = flags->String("remote-model", "",
                                 "the server's model name (default: the first of its /models)", "NAME");
  c.remote_api_key_env = flags->String(
      "remote-api-key-env", "", "environment variable holding the server's API key", "VAR");
  c.remote_dialect = flags->String(
      "remote-dialect", "openai",
      "what the server accepts beyond OpenAI: openai, corgi, vllm, sglang or llama-server", "NAME");
  c.max_steps = flags->Int("max-steps", 6, "reasoning steps at most (config: max_steps)");
  c.max_regions =
      flags->Int("max-regions", 1, "boxes per fallback grounding (config: max_regions)");
  c.seed = flags->Int("seed", 0, "sampling seed (config: sampling.seed)");
  c.temperature = flags->Double("temperature", 0.0,
                                "sampling temperature, 0: greedy (config: sampling.temperature)");
  c.top_p = flags->Double("top-p", 1.0, "nucleus cut, 1: off (config: sampling.top_p)");
  c.top_k = flags->Int("top-k", 0, "top-k cut, 0: off (config: sampling.top_k)");
  c.threads = AddThreadsFlag(flags, "engine threads, 0: all cores (config: engine.threads)");
  c.ctx_size = flags->Int("ctx-size", 8192,
                          "context capacity in tokens per sequence (config: engine.max_context)");
  flags->Alias("c", "ctx-size");
  c.weights = AddWeightsFlag(flags);
  c.no_crops = flags->Bool("no-crops", "do not write crops/ (config: outputs.crops)");
  c.no_visualization =
      flags->Bool("no-visualization", "do not write annotated.png (config: outputs.visualization)");
  return c;
}

namespace {

StatusOr<PipelineConfig> ResolveConfig(const CommonFlags& common, const FlagParser& flags) {
  PipelineConfig config;
  if (!common.config->empty()) {
    CORGI_ASSIGN_OR_RETURN(config, pipeline::LoadConfigFile(*common.config));
  }
  if (flags.WasSet("max-steps")) config.max_steps = *common.max_steps;
  if (flags.WasSet("max-regions")) config.max_regions = *common.max_regions;
  if (flags.WasSet("seed")) {
    if (*common.seed < 0)
      return InvalidArgumentError("--seed: must be >= 0, got " + std::to_string(*common.seed));
    config.sampling.seed = static_cast<uint64_t>(*common.seed);
  }
  if (flags.WasSet("temperature")) config.sampling.temperature = *common.temperature;
  if (flags.WasSet("top-p")) config.sampling.top_p = *common.top_p;
  if (flags.WasSet("top-k")) config.sampling.top_k = *common.top_k;
  if (flags.WasSet("threads")) config.engine.threads = *common.threads;
  if (flags.WasSet("ctx-size")) config.engine.max_context = *common.ctx_size;
  if (flags.WasSet("weights")) config.engine.weights = *common.weights;
  if (*common.no_crops) config.outputs.crops = false;
  if (*common.no_visualization) config.outputs.visualization = false;
  if (!common.remote->empty()) {
    pipeline::PhaseModelConfig remote;
    remote.remote = config.models.default_model.remote;  // keeps a config's other remote settings
    pipeline::EndpointConfig e;
    e.url = *common.remote;
    e.model = *common.remote_model;
    e.api_key_env = *common.remote_api_key_env;
    e.dialect = *common.remote_dialect;
    remote.remote.endpoints = {e};
    config.models.default_model = remote;
  } else if (flags.WasSet("remote-model") || flags.WasSet("remote-api-key-env") ||
             flags.WasSet("remote-dialect")) {
    return InvalidArgumentError("--remote-model, --remote-api-key-env and --remote-dialect need --remote URL");
  }
  Status valid = pipeline::ValidateConfig(config);
  if (!valid.ok()) return valid.WithContext("settings after command-line flags");
  return config;
}

}  // namespace

std::optional<PipelineConfig> CheckFlagsAndResolveConfig(const CommonFlags& common,
                                                         const FlagParser& flags,
                                                         const std::string& command_problem) {
  std::string usage;
  if (common.model->empty() && common.replay->empty() && common.remote->empty() && common.config->empty())
    usage = "-m/--model is required (or --remote URL, or --replay FILE)";
  if (!common.remote->empty() && (!common.model->empty() || !common.replay->empty()))
    usage = "--remote replaces -m/--model and --replay: give one of them";
  if (!command_problem.empty()) usage = command_problem;
  if (!flags.positional().empty()) usage = "unexpected argument '" + flags.positional()[0] + "'";
  if (!usage.empty()) {
    std::fprintf(stderr, "error: %s\n\n", usage.c_str());
    flags.PrintUsage();
    return std::nullopt;
  }
  StatusOr<PipelineConfig> config = ResolveConfig(common, flags);
  if (!config.ok()) {
    std::fprintf(stderr, "error: %s\n", config.status().ToString().c_str());
    return std::nullopt;
  }
  if (common.model->empty() && common.replay->empty() && !config->models.default_model.is_set()) {
    std::fprintf(stderr, "error: -m/--model is required (or --remote URL, --replay FILE, or "
                         "models.default in --config)\n\n");
    flags.PrintUsage();
    return std::nullopt;
  }
  return *std::move(config);
}

StatusOr<std::unique_ptr<QueryService>> CreateService(const CommonFlags& common,
                                                      const PipelineConfig& config) {
  service::ServiceOptions options;
  options.config = config;
  options.replay_path = *common.replay;
  if (common.replay->empty() && common.model->empty()) {
    // The config's models.default (or --remote) is the model.
  } else if (common.replay->empty()) {
    CORGI_ASSIGN_OR_RETURN(options.model_dir, ResolveModelPath(*common.model));
  } else {
    options.model_dir = *common.model;  // only a label with a replay file
  }
  return QueryService::Create(options);
}

}  // namespace corgi::cli
