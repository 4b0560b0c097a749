// The per-query state of Pipeline::Run (PIPELINE.md): the result being built, the
// trace, the event sink and the model-call plumbing shared by the phases. One QueryRun
// lives on the stack of one Run call, so concurrent queries share nothing mutable.
// Not thread-safe: only the thread running the query touches it (OCR workers return
// their results to it).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "corgi/pipeline/pipeline.h"
#include "pipeline/boxes.h"
#include "pipeline/json_fields.h"

namespace corgi::pipeline {

// One model call to make: the request and how to label and record it.
struct PlannedCall {
  CallInfo info;
  std::shared_ptr<const RgbImage> image;
  std::string image_name;  // "original" or the crop file name, for the trace
  std::string prompt;
  int64_t max_tokens = 0;
  Constraint constraint;
};

class QueryRun {
 public:
  QueryRun(Vlm* vlm, OcrEngine* ocr, const PipelineConfig& config, const Query& query,
           const EventSink* events);

  // Runs the calls (one GenerateBatch when more than one), records each in the trace
  // and the counts, and returns the completions in order. An engine failure is
  // returned as the Status of the whole batch.
  StatusOr<std::vector<Completion>> Call(const std::vector<PlannedCall>& calls);
  // The same, with each call's own outcome: a failed call is not traced and does not
  // fail the others (evidence calls). The Status is Cancelled when the query was
  // cancelled (before the calls, or any call reporting it). `ms`, when given, gets each
  // call's time as traced (0 for a failed call).
  StatusOr<std::vector<StatusOr<Completion>>> CallEach(const std::vector<PlannedCall>& calls,
                                                       std::vector<double>* ms = nullptr);
  PlannedCall Plan(const CallInfo& info, std::shared_ptr<const RgbImage> image,
                   std::string image_name, std::string prompt, int64_t max_tokens,
                   Constraint constraint = {}) const;

  void Emit(const std::string& type, const OrderedJson& payload) const;
  // Adds a query-level warning and emits it as a "warning" event.
  void Warn(const std::string& message, int step = 0);
  void PhaseStart(const std::string& phase);
  void PhaseEnd(const std::string& phase);
  double MsSinceStart() const;

  Vlm& vlm() { return *vlm_; }
  OcrEngine* ocr() { return ocr_; }
  const PipelineConfig& config() const { return config_; }
  const Query& query() const { return query_; }
  const std::shared_ptr<const RgbImage>& original() const { return original_; }
  // The box frame of a phase's model (the reasoning model's when no frame was set for it).
  const BoxFrame& frame(const std::string& phase = "reasoning") const {
    auto it = phase_frames_.find(phase);
    return it == phase_frames_.end() ? frame_ : it->second;
  }
  void set_frame(const BoxFrame& frame) { frame_ = frame; }
  void set_phase_frame(const std::string& phase, const BoxFrame& frame) { phase_frames_[phase] = frame; }
  Result& result() { return result_; }
  Trace& trace() { return trace_; }

 private:
  using Clock = std::chrono::steady_clock;
  Vlm* vlm_;
  OcrEngine* ocr_;
  const PipelineConfig& config_;
  const Query& query_;
  const EventSink* events_;
  std::shared_ptr<const RgbImage> original_;
  BoxFrame frame_;
  std::map<std::string, BoxFrame> phase_frames_;
  Result result_;
  Trace trace_;
  Clock::time_point start_;
  Clock::time_point phase_start_;
};

// The phases, in order (pipeline_*.cc). Each returns a Status only for engine
// failures; failures of the query itself go to result().error.
Status RunReasoning(QueryRun& run);
Status RunFallbackGrounding(QueryRun& run);
Status RunEvidence(QueryRun& run);
Status RunSynthesis(QueryRun& run);

}  // namespace corgi::pipeline
