// What `corgi ask` and `corgi batch` share (ask is a batch of one): the flags common to
// both, the settings they resolve to (defaults < --config file < flags), the model or
// replay file and the OCR engine loaded once, and one query run from image file to
// output folder.
//
// Not thread-safe: one command drives one QueryRunner.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "apps/cli/flags.h"
#include "corgi/core/status.h"
#include "corgi/pipeline/config.h"
#include "corgi/pipeline/ocr.h"
#include "corgi/pipeline/pipeline.h"
#include "corgi/pipeline/vlm.h"

namespace corgi::cli {

// Pointers into a FlagParser (which owns the values).
struct CommonFlags {
  std::string* model = nullptr;
  std::string* config = nullptr;
  std::string* replay = nullptr;
  int64_t* max_steps = nullptr;
  int64_t* max_regions = nullptr;
  int64_t* seed = nullptr;
  int64_t* threads = nullptr;
  bool* no_crops = nullptr;
  bool* no_visualization = nullptr;
};

// Registers --model, --config, --replay, --max-steps, --max-regions, --seed, --threads,
// --no-crops, --no-visualization on `flags`.
CommonFlags AddCommonFlags(FlagParser* flags);

// After flags.Parse: the usage checks (neither --model nor --replay, `command_problem` —
// the command's own usage problem or "" —, a stray positional argument), then the settings:
// defaults, then the --config file, then the flags the user set. On a problem prints it
// (with the usage text for usage errors; a bad file names its position and key, a bad
// override its flag) and returns nullopt: the command exits with status 2.
std::optional<pipeline::PipelineConfig> CheckFlagsAndResolveConfig(
    const CommonFlags& common, const FlagParser& flags, const std::string& command_problem);

// The result of one query: what Pipeline::Run returned, or the failure before it could
// return one (undecodable image, engine failure) in `failure`.
struct QueryOutcome {
  pipeline::Result result;
  pipeline::Trace trace;
  RgbImage original;
  std::optional<std::string> failure;  // set when there is no usable result at all
  double seconds = 0;
  // The error to report: `failure`, else result.error; nullopt on success.
  std::optional<std::string> error() const { return failure ? failure : result.error; }
};

class QueryRunner {
 public:
  // Loads the model and creates the engine (or reads the replay file), and the OCR engine
  // when config.ocr.engine is "tesseract". Errors those of the loaders, with the path.
  static StatusOr<std::unique_ptr<QueryRunner>> Create(const CommonFlags& common,
                                                       const pipeline::PipelineConfig& config);
  ~QueryRunner();

  // Decodes `image_path` and runs the pipeline, streaming events to `events` (may be null).
  // Never fails as a call: problems land in QueryOutcome::failure / result.error.
  QueryOutcome Run(const std::string& image_path, const std::string& question,
                   const pipeline::EventSink* events);

  // Writes the outcome's files into `out_dir` (created) per the config's outputs section.
  Status WriteOutputs(const QueryOutcome& outcome, const std::string& out_dir) const;

  const pipeline::PipelineConfig& config() const { return config_; }
  std::string model_name() const;

 private:
  QueryRunner() = default;
  struct Loaded;
  std::unique_ptr<Loaded> loaded_;
  pipeline::PipelineConfig config_;
};

}  // namespace corgi::cli
