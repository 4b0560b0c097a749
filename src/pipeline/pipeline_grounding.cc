// Fallback grounding (PIPELINE.md): vision steps without a box get one grounding call
// each, submitted together; NMS over the returned boxes; the whole image when nothing
// usable comes back.
#include "pipeline/parse.h"
#include "pipeline/prompts.h"
#include "pipeline/query_run.h"

namespace corgi::pipeline {
namespace {

bool NeedsGrounding(const Step& step) {
  return (step.need_object || step.need_text) && step.boxes.empty();
}

// Applies one grounding output to its step: boxes after NMS (at most max_regions, the
// most confident first when the model gave confidences), or the whole image with a
// warning.
// A failed call counts as an output with no region.
void ApplyGrounding(QueryRun& run, Step& step, const StatusOr<Completion>& output) {
  const PipelineConfig& config = run.config();
  std::vector<Box> boxes;
  std::vector<std::string> labels;
  StatusOr<ParsedGrounding> parsed =
      output.ok() ? ParseGrounding(output->text, run.frame("grounding"))
                  : StatusOr<ParsedGrounding>(output.status().WithContext("grounding call failed"));
  std::string prefix = "step " + std::to_string(step.index) + ": ";
  if (!parsed.ok()) {
    step.warnings.push_back(parsed.status().message());
    run.Warn(prefix + parsed.status().message(), step.index);
  } else {
    for (const std::string& w : parsed->warnings) {
      step.warnings.push_back(w);
      run.Warn(prefix + w, step.index);
    }
    // The more confident of two overlapping boxes stays when the model gave confidences.
    std::vector<size_t> kept = NmsIndices(parsed->boxes, parsed->confidences, config.nms_iou);
    if (kept.size() < parsed->boxes.size()) {
      run.Warn(prefix + std::to_string(parsed->boxes.size() - kept.size()) +
                   " duplicate grounding box(es) removed by NMS",
               step.index);
    }
    if (static_cast<int64_t>(kept.size()) > config.max_regions) kept.resize(config.max_regions);
    for (size_t i : kept) {
      boxes.push_back(parsed->boxes[i]);
      labels.push_back(parsed->labels[i]);
    }
  }
  if (boxes.empty()) {
    step.boxes = {Box::WholeImage()};
    step.box_source = BoxSource::kWholeImage;
    std::string message = "grounding found no region; using the whole image";
    step.warnings.push_back(message);
    run.Warn(prefix + message, step.index);
    return;
  }
  step.boxes = boxes;
  step.box_source = BoxSource::kGrounding;
  OrderedJson list = OrderedJson::array();
  for (const Box& b : boxes) list.push_back(BoxToJson(b));
  run.Emit("fallback_boxes", {{"step", step.index}, {"boxes", list}, {"labels", labels}});
}

}  // namespace

Status RunFallbackGrounding(QueryRun& run) {
  const PipelineConfig& config = run.config();
  run.PhaseStart("grounding");
  std::vector<Step>& steps = run.result().steps;
  std::vector<size_t> targets;
  std::vector<PlannedCall> calls;
  for (size_t i = 0; i < steps.size(); ++i) {
    if (!NeedsGrounding(steps[i])) continue;
    targets.push_back(i);
    calls.push_back(run.Plan(CallInfo{"grounding", steps[i].index}, run.original(), "original",
                             GroundingPrompt(steps[i].statement, config.max_regions, run.frame("grounding")),
                             config.budgets.grounding,
                             GroundingConstraint(config.max_regions, run.frame("grounding"))));
  }
  // One batch: the calls share the image prefix (DESIGN.md "Caches and batching").
  // A failed call falls back to the whole image for its step alone.
  CORGI_ASSIGN_OR_RETURN(std::vector<StatusOr<Completion>> out, run.CallEach(calls));
  for (size_t k = 0; k < targets.size(); ++k) ApplyGrounding(run, steps[targets[k]], out[k]);
  run.result().counts.fallback_groundings = static_cast<int64_t>(targets.size());
  run.PhaseEnd("grounding");
  return Status::Ok();
}

}  // namespace corgi::pipeline
