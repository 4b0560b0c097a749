// What `corgi ask` and `corgi batch` share (ask is a batch of one): the flags common to
// both and the settings they resolve to (defaults < --config file < flags). The query
// itself — model or replay file, engine, OCR, pipeline, outputs — is the service layer's
// (corgi/service/query_service.h); CreateService makes one from the flags.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "apps/cli/flags.h"
#include "corgi/core/status.h"
#include "corgi/pipeline/config.h"
#include "corgi/service/query_service.h"

namespace corgi::cli {

using service::QueryOutcome;
using service::QueryService;

// Pointers into a FlagParser (which owns the values).
struct CommonFlags {
  std::string* model = nullptr;
  std::string* config = nullptr;
  std::string* replay = nullptr;
  std::string* remote = nullptr;              // --remote URL: every phase on one endpoint
  std::string* remote_model = nullptr;
  std::string* remote_api_key_env = nullptr;
  std::string* remote_dialect = nullptr;
  int64_t* max_steps = nullptr;
  int64_t* max_regions = nullptr;
  int64_t* seed = nullptr;
  double* temperature = nullptr;
  double* top_p = nullptr;
  int64_t* top_k = nullptr;
  int64_t* threads = nullptr;
  int64_t* ctx_size = nullptr;
  std::string* weights = nullptr;
  bool* no_crops = nullptr;
  bool* no_visualization = nullptr;
};

// Registers -m/--model, --config, --replay, --remote, --remote-model, --remote-api-key-env,
// --remote-dialect, --max-steps, --max-regions, --seed,
// --temperature, --top-p, --top-k, -t/--threads, -c/--ctx-size, --weights, --no-crops,
// --no-visualization on `flags`.
CommonFlags AddCommonFlags(FlagParser* flags);

// After flags.Parse: the usage checks (neither --model nor --replay, `command_problem` —
// the command's own usage problem or "" —, a stray positional argument), then the settings:
// defaults, then the --config file, then the flags the user set. On a problem prints it
// (with the usage text for usage errors; a bad file names its position and key, a bad
// override its flag) and returns nullopt: the command exits with status 2.
std::optional<pipeline::PipelineConfig> CheckFlagsAndResolveConfig(
    const CommonFlags& common, const FlagParser& flags, const std::string& command_problem);

// Loads the model (a directory or a Hugging Face repo id in the local cache, see
// model_path.h) or the replay file, with `config`. Errors those of the loaders.
StatusOr<std::unique_ptr<QueryService>> CreateService(const CommonFlags& common,
                                                      const pipeline::PipelineConfig& config);

}  // namespace corgi::cli
