// QueryService: CoRGI loaded once and answering many queries — the model (or a replay
// file), the engine, the OCR engine and the pipeline wired together, plus one query run
// from image to outputs. `corgi ask`, `corgi batch`, `corgi serve` and `corgi bench`
// all go through it, so a query means the same thing everywhere.
//
//   auto service = QueryService::Create({.model_dir = "models/tiny", .config = config});
//   QueryOutcome o = (*service)->Run({.image_path = "cat.jpg", .question = "What colour?"});
//   (*service)->WriteOutputs(o, "out/cat");
//
// Ownership: owns the model, engine, OCR engine and pipeline. Thread-safety: Run and
// WriteOutputs may be called from several threads at once (their model calls meet in the
// engine's scheduler, which decodes them together); with a replay file queries are
// answered one at a time. Failures: Create returns the loaders' errors (with the path);
// Run never fails as a call — problems land in QueryOutcome.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "corgi/core/cancel.h"
#include "corgi/core/status.h"
#include "corgi/engine.h"
#include "corgi/image/image.h"
#include "corgi/pipeline/config.h"
#include "corgi/pipeline/pipeline.h"
#include "corgi/pipeline/result.h"

namespace corgi::service {

struct ServiceOptions {
  std::string model_dir;    // checkpoint directory (Hugging Face layout)
  std::string replay_path;  // recorded completions instead of a model (model_dir is then a label)
  // Every query's defaults; its engine and image sections configure the engine at load (with
  // a replay file, the image section bounds the pixel frame of a resized_input_pixels file).
  pipeline::PipelineConfig config;
};

struct QueryInput {
  std::string image_path;          // for the record; decoded from disk when `image` is unset
  std::optional<RgbImage> image;   // an already decoded image (e.g. an HTTP upload)
  std::string question;
  // This query's settings (e.g. an HTTP request's overrides); null: the service's config.
  // Only its per-query parts apply (max_steps, max_regions, nms_iou, crop_expand, budgets,
  // sampling, ocr.engine and ocr.languages, outputs — pipeline::IsQuerySettingKey); the
  // engine and image sections (and OCR's data path, text height, workers) stay those the
  // service was created with. A Tesseract engine for other languages, or for a "vlm"
  // service, is created on first use and kept.
  const pipeline::PipelineConfig* config = nullptr;
  const pipeline::EventSink* events = nullptr;  // may be null
  std::optional<CancelToken> cancel;            // ends the query's model calls early
};

// The result of one query: what Pipeline::Run returned, or the failure before it could
// return one (undecodable image, engine failure, cancellation) in `failure`.
struct QueryOutcome {
  pipeline::Result result;
  pipeline::Trace trace;
  RgbImage original;
  pipeline::PipelineConfig config;     // the settings the query ran with
  std::optional<std::string> failure;  // set when there is no usable result at all
  std::optional<Status> failure_status;  // the Status behind `failure` (Cancelled, ...)
  double seconds = 0;
  // The error to report: `failure`, else result.error; nullopt on success.
  std::optional<std::string> error() const { return failure ? failure : result.error; }
};

class QueryService {
 public:
  static StatusOr<std::unique_ptr<QueryService>> Create(const ServiceOptions& options);
  ~QueryService();

  QueryOutcome Run(const QueryInput& input);

  // Writes the outcome's files (results.json, trace.json, annotated.png, crops/,
  // report.html per outcome.config's outputs section) into `out_dir` (created).
  Status WriteOutputs(const QueryOutcome& outcome, const std::string& out_dir) const;

  const pipeline::PipelineConfig& config() const;
  std::string model_name() const;
  Engine* engine();  // null with a replay file or a remote default model

 private:
  QueryService() = default;
  struct Loaded;
  std::unique_ptr<Loaded> loaded_;
};

}  // namespace corgi::service
