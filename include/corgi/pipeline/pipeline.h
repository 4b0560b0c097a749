// The CoRGI pipeline (PIPELINE.md): reasoning with grounding, fallback grounding,
// evidence routed by type (captions of crops, OCR), synthesis.
//
//   Pipeline p(&vlm, ocr.get(), config);
//   StatusOr<Result> r = p.Run(Query{"photo.jpg", rgb, "What does the sign say?"}, &events, &trace);
//
// Thread-safety: a Pipeline holds no per-query state; Run may be called concurrently if
// the Vlm and OcrEngine allow it. Failures of the query itself (unparseable reasoning,
// unreadable synthesis) are reported in Result::error, not as a Status; Run returns a
// Status only for caller errors (empty question, empty image) and engine failures.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "corgi/core/cancel.h"
#include "corgi/image/image.h"
#include "corgi/pipeline/config.h"
#include "corgi/pipeline/ocr.h"
#include "corgi/pipeline/result.h"
#include "corgi/pipeline/vlm.h"

namespace corgi::pipeline {

struct Query {
  std::string image_path;  // for the record
  RgbImage image;
  std::string question;
  // Cancelled → the running model call ends at its next step and Run returns Cancelled.
  std::optional<CancelToken> cancel = std::nullopt;
};

// A streaming event (PIPELINE.md "Streaming events"): `type` such as "pipeline_start",
// "phase_start", "phase_end", "chain_of_thought", "step", "fallback_boxes", "warning",
// "evidence", "answer", "key_evidence", "pipeline_end", "error", and "delta" (text of the
// chain of thought or the synthesis as it is generated: {"phase", "text"}); `json` is the
// event's payload as a JSON object text (one line). Delta events come from the engine's
// thread while the query's thread waits for that call, so a sink is never called
// concurrently by one Run.
struct Event {
  std::string type;
  std::string json;
};
using EventSink = std::function<void(const Event&)>;

class Pipeline {
 public:
  // Borrows `vlm` and `ocr` (ocr may be null when config.ocr.engine == "vlm").
  Pipeline(Vlm* vlm, OcrEngine* ocr, PipelineConfig config);
  StatusOr<Result> Run(const Query& query, const EventSink* events, Trace* trace) const;

 private:
  Vlm* vlm_;
  OcrEngine* ocr_;
  PipelineConfig config_;
};

}  // namespace corgi::pipeline
