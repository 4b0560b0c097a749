#include "apps/cli/batch_runtime.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "corgi/engine.h"
#include "corgi/image/decode.h"
#include "corgi/pipeline/local_vlm.h"
#include "corgi/pipeline/outputs.h"
#include "corgi/pipeline/replay_vlm.h"

namespace corgi::cli {

using pipeline::PipelineConfig;

CommonFlags AddCommonFlags(FlagParser* flags) {
  CommonFlags c;
  c.model = flags->String("model", "", "checkpoint directory (Hugging Face layout)");
  c.config = flags->String("config", "", "YAML settings (docs/CONFIG.md); flags below override it");
  c.replay = flags->String(
      "replay", "",
      "answer from recorded completions (trace.json or docs/RESULTS.md format), no model");
  c.max_steps = flags->Int("max-steps", 6, "reasoning steps at most (config: max_steps)");
  c.max_regions =
      flags->Int("max-regions", 1, "boxes per fallback grounding (config: max_regions)");
  c.seed = flags->Int("seed", 0, "sampling seed (config: sampling.seed)");
  c.threads = flags->Int("threads", 0, "engine threads, 0: all cores (config: engine.threads)");
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
  if (flags.WasSet("threads")) config.engine.threads = *common.threads;
  if (*common.no_crops) config.outputs.crops = false;
  if (*common.no_visualization) config.outputs.visualization = false;
  Status valid = pipeline::ValidateConfig(config);
  if (!valid.ok()) return valid.WithContext("settings after command-line flags");
  return config;
}

}  // namespace

std::optional<PipelineConfig> CheckFlagsAndResolveConfig(const CommonFlags& common,
                                                         const FlagParser& flags,
                                                         const std::string& command_problem) {
  std::string usage;
  if (common.model->empty() && common.replay->empty()) usage = "--model is required (or --replay FILE)";
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
  return *std::move(config);
}

struct QueryRunner::Loaded {
  std::string model_name;
  std::unique_ptr<qwen3vl::Model> model;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<pipeline::LocalVlm> local;
  std::unique_ptr<pipeline::ReplayVlm> replay;
  std::unique_ptr<pipeline::OcrEngine> ocr;
  std::unique_ptr<pipeline::Pipeline> pipeline;
};

QueryRunner::~QueryRunner() = default;

StatusOr<std::unique_ptr<QueryRunner>> QueryRunner::Create(const CommonFlags& common,
                                                           const PipelineConfig& config) {
  std::unique_ptr<QueryRunner> runner(new QueryRunner());
  runner->config_ = config;
  auto loaded = std::make_unique<Loaded>();
  pipeline::Vlm* vlm = nullptr;
  if (!common.replay->empty()) {
    // A replay file stands in for the model, so --model is only a label then.
    CORGI_ASSIGN_OR_RETURN(
        loaded->replay, pipeline::ReplayVlm::FromFile(*common.replay, pipeline::ReplayOptions{}));
    loaded->model_name = "replay:" + *common.replay;
    vlm = loaded->replay.get();
  } else {
    StatusOr<std::unique_ptr<qwen3vl::Model>> model = qwen3vl::Model::Load(*common.model);
    if (!model.ok()) return model.status().WithContext("loading model '" + *common.model + "'");
    loaded->model = std::move(*model);
    EngineOptions options;
    options.threads = config.engine.threads;
    options.max_context = config.engine.max_context;
    options.kv_cache_bytes = config.engine.kv_cache_mb << 20;
    options.vision_cache_bytes = config.engine.vision_cache_mb << 20;
    options.prefix_cache = config.engine.prefix_cache;
    options.max_batch = config.engine.max_batch;
    options.lookup_draft_tokens = config.engine.lookup_draft_tokens;
    options.min_pixels = config.image.min_pixels;
    options.max_pixels = config.image.max_pixels;
    CORGI_ASSIGN_OR_RETURN(loaded->engine, Engine::Create(loaded->model.get(), options));
    loaded->local = std::make_unique<pipeline::LocalVlm>(loaded->engine.get(),
                                                         pipeline::LocalVlmOptions{*common.model});
    loaded->model_name = *common.model;
    vlm = loaded->local.get();
  }
  if (config.ocr.engine == "tesseract") {
    pipeline::OcrOptions ocr;
    ocr.languages = config.ocr.languages;
    ocr.data_path = config.ocr.data_path;
    ocr.min_text_height = config.ocr.min_text_height;
    ocr.workers = config.ocr.workers;
    CORGI_ASSIGN_OR_RETURN(loaded->ocr, pipeline::CreateTesseractEngine(ocr));
  }
  loaded->pipeline = std::make_unique<pipeline::Pipeline>(vlm, loaded->ocr.get(), config);
  runner->loaded_ = std::move(loaded);
  return runner;
}

std::string QueryRunner::model_name() const { return loaded_->model_name; }

QueryOutcome QueryRunner::Run(const std::string& image_path, const std::string& question,
                              const pipeline::EventSink* events) {
  auto start = std::chrono::steady_clock::now();
  QueryOutcome outcome;
  auto finish = [&]() {
    outcome.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return std::move(outcome);
  };
  StatusOr<RgbImage> image = DecodeImageFile(image_path);
  if (!image.ok()) {
    outcome.failure = "image: " + image.status().ToString();
    if (events != nullptr && *events) {
      (*events)(pipeline::Event{"error", nlohmann::json{{"message", *outcome.failure}}.dump()});
    }
    return finish();
  }
  outcome.original = std::move(*image);
  // The same recordings answer every query of a batch.
  if (loaded_->replay) loaded_->replay->Rewind();
  pipeline::Query query{image_path, outcome.original, question};
  StatusOr<pipeline::Result> result = loaded_->pipeline->Run(query, events, &outcome.trace);
  if (!result.ok()) {
    outcome.failure = result.status().ToString();
  } else {
    outcome.result = std::move(*result);
    if (outcome.result.model.empty()) outcome.result.model = loaded_->model_name;
  }
  return finish();
}

Status QueryRunner::WriteOutputs(const QueryOutcome& outcome, const std::string& out_dir) const {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return IoError("cannot create '" + out_dir + "': " + ec.message());
  return pipeline::WriteQueryOutputs(outcome.result, &outcome.trace, outcome.original, config_,
                                     out_dir);
}

}  // namespace corgi::cli
