// Phase 4 (PIPELINE.md): the answer from the question, every step and every evidence
// item with its box and its whole text (captions and OCR alike).
#include <cstdio>

#include "pipeline/parse.h"
#include "pipeline/prompts.h"
#include "pipeline/query_run.h"

namespace corgi::pipeline {
namespace {

std::vector<SynthesisEvidence> EvidenceForPrompt(const std::vector<Evidence>& evidence) {
  std::vector<SynthesisEvidence> out;
  for (const Evidence& e : evidence) {
    SynthesisEvidence s{e.step, e.kind, e.box, e.text, ""};
    if (e.kind == EvidenceKind::kText && e.confidence) {
      char note[48];
      std::snprintf(note, sizeof(note), "OCR confidence %.2f", *e.confidence);
      s.note = note;
    }
    // The model is told the extraction failed rather than that the region was empty.
    if (e.error) s.note = "extraction failed";
    out.push_back(std::move(s));
  }
  return out;
}

}  // namespace

Status RunSynthesis(QueryRun& run) {
  const PipelineConfig& config = run.config();
  Result& result = run.result();
  run.PhaseStart("synthesis");
  std::string prompt = SynthesisPrompt(run.query().question, result.steps,
                                       EvidenceForPrompt(result.evidence), run.frame("synthesis"));
  PlannedCall call =
      run.Plan(CallInfo{"synthesis", 0}, run.original(), "original", std::move(prompt),
               config.budgets.synthesis, SynthesisConstraint(run.frame("synthesis")));
  CORGI_ASSIGN_OR_RETURN(std::vector<Completion> out, run.Call({call}));
  StatusOr<ParsedSynthesis> parsed = ParseSynthesis(out[0].text, run.frame("synthesis"));
  if (!parsed.ok()) {
    // An unreadable answer is a failure of the query, reported in the result.
    run.PhaseEnd("synthesis");
    result.error = parsed.status().message();
    run.Emit("error", {{"message", *result.error}});
    return Status::Ok();
  }
  for (const std::string& w : parsed->warnings) run.Warn(w);
  result.answer = parsed->answer;
  result.explanation = parsed->explanation;
  result.key_evidence = parsed->key_evidence;
  run.Emit("answer", {{"answer", result.answer}, {"explanation", result.explanation}});
  OrderedJson items = OrderedJson::array();
  for (const KeyEvidence& k : result.key_evidence) items.push_back(KeyEvidenceToJson(k));
  run.Emit("key_evidence", {{"items", items}});
  run.PhaseEnd("synthesis");
  return Status::Ok();
}

}  // namespace corgi::pipeline
