#include "corgi/service/query_service.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "corgi/image/decode.h"
#include "corgi/model/registry.h"
#include "corgi/pipeline/local_vlm.h"
#include "corgi/pipeline/ocr.h"
#include "corgi/pipeline/outputs.h"
#include "corgi/pipeline/remote_vlm.h"
#include "corgi/pipeline/replay_vlm.h"
#include "corgi/pipeline/routed_vlm.h"

namespace corgi::service {

using pipeline::PipelineConfig;

namespace {

// The service's config with a query's per-query parts laid over it. The engine and image
// sections (and OCR's data path, text height and workers, which configure the OCR engines
// at load) stay the service's.
PipelineConfig EffectiveConfig(const PipelineConfig& base, const PipelineConfig* query) {
  if (query == nullptr) return base;
  PipelineConfig c = base;
  c.max_steps = query->max_steps;
  c.max_regions = query->max_regions;
  c.nms_iou = query->nms_iou;
  c.crop_expand = query->crop_expand;
  c.budgets = query->budgets;
  c.sampling = query->sampling;
  c.ocr.engine = query->ocr.engine;
  c.ocr.languages = query->ocr.languages;
  c.outputs = query->outputs;
  return c;
}

EngineOptions EngineOptionsFor(const PipelineConfig& config) {
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
  return options;
}

// Loads a local checkpoint with the config's engine.weights (load-time quantization runs on
// engine.threads threads, then they are released before the engine starts its own).
StatusOr<std::unique_ptr<LoadedModel>> LoadLocal(const std::string& dir, const PipelineConfig& config) {
  LoadOptions load;
  CORGI_ASSIGN_OR_RETURN(load.weights, ParseWeightsMode(config.engine.weights));
  std::unique_ptr<ThreadPool> pool;
  if (load.weights != WeightsMode::kAsStored) {
    pool = std::make_unique<ThreadPool>(config.engine.threads > 0 ? static_cast<size_t>(config.engine.threads)
                                                                  : DefaultThreadCount());
    load.pool = pool.get();
  }
  return LoadModel(dir, load);
}

// The replay's smart_resize bounds under the config's image section, as the engine applies
// it to a checkpoint's own (engine.cc): max_pixels caps, min_pixels replaces, and a cap below
// the lower bound lowers that too. A pixel-space recording made with --config F then reads
// its boxes in the same frame when replayed with --config F.
pipeline::ReplayOptions ReplayOptionsFor(const PipelineConfig& config) {
  pipeline::ReplayOptions o;
  if (config.image.max_pixels > 0) o.max_pixels = std::min(o.max_pixels, config.image.max_pixels);
  if (config.image.min_pixels > 0) o.min_pixels = config.image.min_pixels;
  if (config.image.min_pixels == 0) o.min_pixels = std::min(o.min_pixels, o.max_pixels);
  return o;
}

void SendError(const pipeline::EventSink* events, const std::string& message) {
  if (events != nullptr && *events)
    (*events)(pipeline::Event{"error", nlohmann::json{{"message", message}}.dump()});
}

}  // namespace

struct QueryService::Loaded {
  ServiceOptions options;
  std::string model_name;
  std::unique_ptr<LoadedModel> model;
  std::unique_ptr<Engine> engine;
  std::unique_ptr<pipeline::LocalVlm> local;
  std::unique_ptr<pipeline::ReplayVlm> replay;
  // Models named in the config's models: section (remote endpoints, other checkpoints).
  struct LocalModel {
    std::unique_ptr<LoadedModel> model;
    std::unique_ptr<Engine> engine;
    std::unique_ptr<pipeline::LocalVlm> vlm;
  };
  std::vector<LocalModel> extra_local;
  std::vector<std::unique_ptr<pipeline::RemoteVlm>> remotes;
  std::unique_ptr<pipeline::RoutedVlm> routed;
  pipeline::Vlm* vlm = nullptr;
  // Recordings are consumed per query: replayed queries run one at a time.
  std::mutex replay_mutex;
  // Tesseract engines by language list, created on first use (the service's own at Create).
  std::mutex ocr_mutex;
  std::map<std::string, std::unique_ptr<pipeline::OcrEngine>> ocr;  // guarded by ocr_mutex

  // The Vlm for one models: entry: a remote model, or a checkpoint with its own engine.
  StatusOr<pipeline::Vlm*> VlmFor(const pipeline::PhaseModelConfig& spec, const std::string& what) {
    if (!spec.remote.endpoints.empty()) {
      StatusOr<std::unique_ptr<pipeline::RemoteVlm>> remote = pipeline::RemoteVlm::Create(spec.remote);
      if (!remote.ok()) return remote.status().WithContext(what);
      remotes.push_back(std::move(*remote));
      return remotes.back().get();
    }
    LocalModel local;
    StatusOr<std::unique_ptr<LoadedModel>> model = LoadLocal(spec.checkpoint, options.config);
    if (!model.ok()) return model.status().WithContext(what + ": loading model '" + spec.checkpoint + "'");
    local.model = std::move(*model);
    CORGI_ASSIGN_OR_RETURN(local.engine, Engine::Create(local.model.get(), EngineOptionsFor(options.config)));
    local.vlm = std::make_unique<pipeline::LocalVlm>(local.engine.get(),
                                                     pipeline::LocalVlmOptions{spec.checkpoint});
    extra_local.push_back(std::move(local));
    return extra_local.back().vlm.get();
  }

  // The default model (--model, or models.default) and the per-phase ones.
  Status LoadModels(const ServiceOptions& o) {
    const pipeline::ModelsConfig& models = o.config.models;
    if (models.default_model.is_set()) {
      CORGI_ASSIGN_OR_RETURN(vlm, VlmFor(models.default_model, "models.default"));
      model_name = vlm->name();
    } else {
      if (o.model_dir.empty())
        return InvalidArgumentError("no model given: use --model DIR, --remote URL or the config's "
                                    "models.default (and no replay file)");
      StatusOr<std::unique_ptr<LoadedModel>> m = LoadLocal(o.model_dir, o.config);
      if (!m.ok()) return m.status().WithContext("loading model '" + o.model_dir + "'");
      model = std::move(*m);
      CORGI_ASSIGN_OR_RETURN(engine, Engine::Create(model.get(), EngineOptionsFor(o.config)));
      local = std::make_unique<pipeline::LocalVlm>(engine.get(), pipeline::LocalVlmOptions{o.model_dir});
      model_name = o.model_dir;
      vlm = local.get();
    }
    std::map<std::string, pipeline::Vlm*> by_phase;
    for (const char* phase : {"reasoning", "grounding", "caption", "ocr", "synthesis"}) {
      const pipeline::PhaseModelConfig& spec = *models.Find(phase);
      if (!spec.is_set()) continue;
      CORGI_ASSIGN_OR_RETURN(by_phase[phase], VlmFor(spec, std::string("models.") + phase));
    }
    if (!by_phase.empty()) {
      routed = std::make_unique<pipeline::RoutedVlm>(vlm, std::move(by_phase));
      vlm = routed.get();
      model_name = routed->name();
    }
    return Status::Ok();
  }

  // The Tesseract engine for `languages`, created once. Thread-safe.
  StatusOr<pipeline::OcrEngine*> Ocr(const std::string& languages) {
    std::lock_guard<std::mutex> lock(ocr_mutex);
    auto it = ocr.find(languages);
    if (it != ocr.end()) return it->second.get();
    const pipeline::OcrConfig& c = options.config.ocr;
    pipeline::OcrOptions o;
    o.languages = languages;
    o.data_path = c.data_path;
    o.min_text_height = c.min_text_height;
    o.workers = c.workers;
    CORGI_ASSIGN_OR_RETURN(std::unique_ptr<pipeline::OcrEngine> engine,
                           pipeline::CreateTesseractEngine(o));
    pipeline::OcrEngine* raw = engine.get();
    ocr.emplace(languages, std::move(engine));
    return raw;
  }
};

QueryService::~QueryService() = default;

StatusOr<std::unique_ptr<QueryService>> QueryService::Create(const ServiceOptions& options) {
  std::unique_ptr<QueryService> service(new QueryService());
  auto loaded = std::make_unique<Loaded>();
  loaded->options = options;
  const PipelineConfig& config = options.config;
  CORGI_RETURN_IF_ERROR(pipeline::ValidateConfig(config));
  if (!options.replay_path.empty()) {
    // A replay file stands in for the model, so model_dir is only a label then.
    CORGI_ASSIGN_OR_RETURN(loaded->replay, pipeline::ReplayVlm::FromFile(options.replay_path,
                                                                         ReplayOptionsFor(config)));
    loaded->model_name = "replay:" + options.replay_path;
    loaded->vlm = loaded->replay.get();
  } else {
    CORGI_RETURN_IF_ERROR(loaded->LoadModels(options));
  }
  // The service's own OCR engine loads now, so a missing language shows at start-up.
  if (config.ocr.engine == "tesseract") {
    CORGI_RETURN_IF_ERROR(loaded->Ocr(config.ocr.languages).status());
  }
  service->loaded_ = std::move(loaded);
  return service;
}

const PipelineConfig& QueryService::config() const { return loaded_->options.config; }

std::string QueryService::model_name() const { return loaded_->model_name; }

Engine* QueryService::engine() { return loaded_->engine.get(); }

QueryOutcome QueryService::Run(const QueryInput& input) {
  auto start = std::chrono::steady_clock::now();
  QueryOutcome outcome;
  outcome.config = EffectiveConfig(loaded_->options.config, input.config);
  auto fail = [&](const Status& status, const std::string& prefix) {
    outcome.failure = prefix + status.ToString();
    outcome.failure_status = status;
    SendError(input.events, *outcome.failure);
  };
  auto finish = [&]() {
    outcome.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return std::move(outcome);
  };

  if (Status valid = pipeline::ValidateConfig(outcome.config); !valid.ok()) {
    fail(valid.WithContext("query settings"), "");
    return finish();
  }
  if (input.image) {
    outcome.original = *input.image;
  } else {
    StatusOr<RgbImage> image = DecodeImageFile(input.image_path, pipeline::ImageDecodeOptions(outcome.config));
    if (!image.ok()) {
      fail(image.status(), "image: ");
      return finish();
    }
    outcome.original = std::move(*image);
  }
  pipeline::OcrEngine* ocr = nullptr;
  if (outcome.config.ocr.engine == "tesseract") {
    StatusOr<pipeline::OcrEngine*> engine = loaded_->Ocr(outcome.config.ocr.languages);
    if (!engine.ok()) {
      fail(engine.status(), "ocr: ");
      return finish();
    }
    ocr = *engine;
  }

  // A Pipeline holds pointers and settings only: one per query carries its config.
  pipeline::Pipeline pipe(loaded_->vlm, ocr, outcome.config);
  pipeline::Query query{input.image_path, outcome.original, input.question, input.cancel};
  std::unique_lock<std::mutex> replay_lock;
  if (loaded_->replay) {
    // The same recordings answer every query, one query at a time.
    replay_lock = std::unique_lock<std::mutex>(loaded_->replay_mutex);
    loaded_->replay->Rewind();
  }
  StatusOr<pipeline::Result> result = pipe.Run(query, input.events, &outcome.trace);
  if (replay_lock.owns_lock()) replay_lock.unlock();
  if (!result.ok()) {
    // The pipeline already sent its own "error" event for engine failures.
    outcome.failure = result.status().ToString();
    outcome.failure_status = result.status();
  } else {
    outcome.result = std::move(*result);
    if (outcome.result.model.empty()) outcome.result.model = loaded_->model_name;
  }
  return finish();
}

Status QueryService::WriteOutputs(const QueryOutcome& outcome, const std::string& out_dir) const {
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return IoError("cannot create '" + out_dir + "': " + ec.message());
  return pipeline::WriteQueryOutputs(outcome.result, &outcome.trace, outcome.original,
                                     outcome.config, out_dir);
}

}  // namespace corgi::service
