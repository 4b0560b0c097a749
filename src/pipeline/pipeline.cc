#include "corgi/pipeline/pipeline.h"

#include "pipeline/parse.h"
#include "pipeline/prompts.h"
#include "pipeline/query_run.h"

namespace corgi::pipeline {
namespace {

// Caller errors, checked before any model work.
Status CheckQuery(const Query& query, const PipelineConfig& config, const OcrEngine* ocr) {
  if (query.question.empty()) return InvalidArgumentError("the question is empty");
  if (query.image.empty()) return InvalidArgumentError("the image is empty");
  if (config.max_steps < 1) return InvalidArgumentError("max_steps must be at least 1");
  if (config.max_regions < 1) return InvalidArgumentError("max_regions must be at least 1");
  if (!(config.nms_iou >= 0 && config.nms_iou <= 1)) {
    return InvalidArgumentError("nms_iou must be in [0, 1]");
  }
  if (!(config.crop_expand >= 0)) return InvalidArgumentError("crop_expand must be >= 0");
  if (config.ocr.engine != "vlm" && ocr == nullptr) {
    return FailedPreconditionError("ocr.engine is \"" + config.ocr.engine +
                                   "\" but no OCR engine was given (or set ocr.engine: vlm)");
  }
  return Status::Ok();
}

// Records a failure of the query itself: Result::error plus an "error" event.
void FailQuery(QueryRun& run, const std::string& message) {
  run.result().error = message;
  run.Emit("error", {{"message", message}});
}

}  // namespace

Pipeline::Pipeline(Vlm* vlm, OcrEngine* ocr, PipelineConfig config)
    : vlm_(vlm), ocr_(ocr), config_(std::move(config)) {
  CORGI_CHECK(vlm_ != nullptr) << "Pipeline needs a Vlm";
}

Status RunReasoning(QueryRun& run) {
  const PipelineConfig& config = run.config();
  run.PhaseStart("reasoning");
  PlannedCall call =
      run.Plan(CallInfo{"reasoning", 0}, run.original(), "original",
               ReasoningPrompt(run.query().question, config.max_steps, run.frame()),
               config.budgets.reasoning, ReasoningConstraint(config.max_steps, run.frame()));
  CORGI_ASSIGN_OR_RETURN(std::vector<Completion> out, run.Call({call}));
  StatusOr<ParsedReasoning> parsed = ParseReasoning(out[0].text, config.max_steps, run.frame());
  if (!parsed.ok()) {
    run.PhaseEnd("reasoning");
    FailQuery(run, parsed.status().message());
    return Status::Ok();
  }
  Result& result = run.result();
  result.chain_of_thought = parsed->thinking;
  result.steps = std::move(parsed->steps);
  result.counts.steps = static_cast<int64_t>(result.steps.size());
  run.Emit("chain_of_thought", {{"text", result.chain_of_thought}});
  for (const std::string& w : parsed->warnings) run.Warn(w);
  for (const Step& step : result.steps) {
    if (step.box_source == BoxSource::kReasoning) ++result.counts.steps_with_boxes_from_reasoning;
    run.Emit("step", StepToJson(step));
  }
  if (result.steps.empty()) run.Warn("the reasoning produced no usable steps");
  run.PhaseEnd("reasoning");
  return Status::Ok();
}

StatusOr<Result> Pipeline::Run(const Query& query, const EventSink* events, Trace* trace) const {
  CORGI_RETURN_IF_ERROR(CheckQuery(query, config_, ocr_));
  QueryRun run(vlm_, ocr_, config_, query, events);
  run.Emit("pipeline_start", {{"question", query.question},
                              {"image_path", query.image_path},
                              {"image_width", query.image.width},
                              {"image_height", query.image.height},
                              {"model", vlm_->name()}});
  // Every phase below returns a Status only for engine failures.
  Status status = [&]() -> Status {
    CORGI_ASSIGN_OR_RETURN(BoxFrame frame,
                           BoxFrame::For(vlm_->ForPhase("reasoning"), query.image.height, query.image.width));
    run.set_frame(frame);
    for (const char* phase : {"grounding", "synthesis"}) {
      CORGI_ASSIGN_OR_RETURN(BoxFrame f, BoxFrame::For(vlm_->ForPhase(phase), query.image.height,
                                                       query.image.width));
      run.set_phase_frame(phase, f);
    }
    CORGI_RETURN_IF_ERROR(RunReasoning(run));
    if (run.result().error) return Status::Ok();
    CORGI_RETURN_IF_ERROR(RunFallbackGrounding(run));
    CORGI_RETURN_IF_ERROR(RunEvidence(run));
    return RunSynthesis(run);
  }();
  if (trace != nullptr) *trace = run.trace();
  if (!status.ok()) {
    run.Emit("error", {{"message", status.ToString()}});
    return status;
  }
  Result& result = run.result();
  result.timings.push_back(PhaseTiming{"total", run.MsSinceStart()});
  OrderedJson end = {{"ms", result.timings.back().ms}, {"counts", CountsToJson(result.counts)}};
  end["error"] = result.error ? OrderedJson(*result.error) : OrderedJson(nullptr);
  run.Emit("pipeline_end", end);
  return std::move(result);
}

}  // namespace corgi::pipeline
