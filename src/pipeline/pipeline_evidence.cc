// Phase 3 (PIPELINE.md): evidence routed by type. Object regions are captioned by the
// model (one batch); text regions are read by the OCR engine on worker threads while the
// captions decode, or by the model when ocr.engine = vlm. Identical (box, kind) pairs
// are extracted once.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>

#include "pipeline/prompts.h"
#include "pipeline/query_run.h"

namespace corgi::pipeline {
namespace {

// One unique (box, kind) to extract, and what came of it.
struct Extraction {
  Box box;
  EvidenceKind kind = EvidenceKind::kObject;
  int first_step = 0;
  std::string statement;  // of the first step that asked; context for the caption
  std::string crop_name;  // crops/step{n}_{object|text}[_{j}].png
  std::shared_ptr<const RgbImage> crop;
  std::string text;
  std::string engine;
  std::optional<double> confidence;
  double ms = 0;
};

std::string CropName(const Step& step, EvidenceKind kind, size_t box_index) {
  // Appends rather than `"literal" + std::string`, which g++ 12 flags with a false -Wrestrict.
  std::string name = "crops/step";
  name.append(std::to_string(step.index)).append("_").append(EvidenceKindName(kind));
  if (step.boxes.size() > 1) name.append("_").append(std::to_string(box_index + 1));
  return name + ".png";
}

// Fills `extractions` (unique) and `items` (step, extraction) in step order.
Status PlanExtractions(QueryRun& run, std::vector<Extraction>* extractions,
                       std::vector<std::pair<int, size_t>>* items) {
  for (const Step& step : run.result().steps) {
    if (!step.need_object && !step.need_text) continue;
    EvidenceKind kind = step.need_text ? EvidenceKind::kText : EvidenceKind::kObject;
    for (size_t b = 0; b < step.boxes.size(); ++b) {
      auto same = std::find_if(extractions->begin(), extractions->end(), [&](const Extraction& e) {
        return e.kind == kind && SameBox(e.box, step.boxes[b]);
      });
      size_t index = static_cast<size_t>(same - extractions->begin());
      if (same == extractions->end()) {
        Extraction e;
        e.box = step.boxes[b];
        e.kind = kind;
        e.first_step = step.index;
        e.statement = step.statement;
        e.crop_name = CropName(step, kind, b);
        CORGI_ASSIGN_OR_RETURN(RgbImage crop,
                               CropForEvidence(run.query().image, e.box, run.config().crop_expand));
        e.crop = std::make_shared<const RgbImage>(std::move(crop));
        extractions->push_back(std::move(e));
      }
      items->emplace_back(step.index, index);
    }
  }
  return Status::Ok();
}

// Runs the OCR engine over `jobs` on up to ocr.workers threads. The returned futures
// must be waited on before `extractions` or `results` go away.
std::vector<std::future<void>> StartOcr(QueryRun& run, const std::vector<Extraction>& extractions,
                                        const std::vector<size_t>& jobs,
                                        std::vector<StatusOr<OcrResult>>* results,
                                        std::vector<double>* ms, std::atomic<size_t>* next) {
  std::vector<std::future<void>> workers;
  size_t n_workers = std::min<size_t>(jobs.size(), std::max<int64_t>(1, run.config().ocr.workers));
  OcrEngine* ocr = run.ocr();
  for (size_t w = 0; w < n_workers; ++w) {
    workers.push_back(std::async(std::launch::async, [&extractions, &jobs, results, ms, next, ocr] {
      for (size_t i = (*next)++; i < jobs.size(); i = (*next)++) {
        auto t0 = std::chrono::steady_clock::now();
        (*results)[i] = ocr->Recognize(*extractions[jobs[i]].crop);
        (*ms)[i] = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                       .count();
      }
    }));
  }
  return workers;
}

// The model calls of this phase: captions of object crops, and OCR by the model.
std::vector<PlannedCall> PlanModelCalls(QueryRun& run, const std::vector<Extraction>& extractions,
                                        bool vlm_ocr, std::vector<size_t>* targets) {
  const TokenBudgets& budgets = run.config().budgets;
  std::vector<PlannedCall> calls;
  for (size_t i = 0; i < extractions.size(); ++i) {
    const Extraction& e = extractions[i];
    if (e.kind == EvidenceKind::kObject) {
      calls.push_back(run.Plan(CallInfo{"caption", e.first_step}, e.crop, e.crop_name,
                               CaptionPrompt(e.statement), budgets.caption));
    } else if (vlm_ocr) {
      calls.push_back(run.Plan(CallInfo{"ocr", e.first_step}, e.crop, e.crop_name, VlmOcrPrompt(),
                               budgets.ocr_vlm));
    } else {
      continue;
    }
    targets->push_back(i);
  }
  return calls;
}

std::string TrimText(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return "";
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

void EmitEvidence(QueryRun& run, const std::vector<Extraction>& extractions,
                  const std::vector<std::pair<int, size_t>>& items) {
  Result& result = run.result();
  std::vector<bool> reported(extractions.size(), false);
  for (const auto& [step, index] : items) {
    const Extraction& x = extractions[index];
    Evidence e{step,
               x.box,
               x.kind,
               x.text,
               x.engine,
               x.confidence,
               reported[index] ? 0.0 : x.ms,  // a shared extraction is timed once
               run.config().outputs.crops ? x.crop_name : ""};
    reported[index] = true;
    (x.kind == EvidenceKind::kText ? result.counts.text_evidence : result.counts.object_evidence)++;
    run.Emit("evidence", EvidenceToJson(e));
    result.evidence.push_back(std::move(e));
  }
}

}  // namespace

Status RunEvidence(QueryRun& run) {
  run.PhaseStart("evidence");
  std::vector<Extraction> extractions;
  std::vector<std::pair<int, size_t>> items;
  CORGI_RETURN_IF_ERROR(PlanExtractions(run, &extractions, &items));
  bool vlm_ocr = run.config().ocr.engine == "vlm";

  std::vector<size_t> ocr_jobs;
  for (size_t i = 0; i < extractions.size(); ++i) {
    if (extractions[i].kind == EvidenceKind::kText && !vlm_ocr) ocr_jobs.push_back(i);
  }
  std::vector<StatusOr<OcrResult>> ocr_results(ocr_jobs.size(), InternalError("OCR did not run"));
  std::vector<double> ocr_ms(ocr_jobs.size(), 0);
  std::atomic<size_t> next{0};
  // OCR runs beside the model's caption batch; the futures join before this returns.
  std::vector<std::future<void>> workers =
      StartOcr(run, extractions, ocr_jobs, &ocr_results, &ocr_ms, &next);

  std::vector<size_t> targets;
  std::vector<PlannedCall> calls = PlanModelCalls(run, extractions, vlm_ocr, &targets);
  StatusOr<std::vector<Completion>> out = run.Call(calls);
  for (std::future<void>& w : workers) w.wait();
  if (!out.ok()) return out.status();

  const std::vector<TraceCall>& traced = run.trace().calls;
  for (size_t k = 0; k < targets.size(); ++k) {
    Extraction& x = extractions[targets[k]];
    x.text = TrimText((*out)[k].text);
    x.engine = x.kind == EvidenceKind::kObject ? "vlm-caption" : "vlm-ocr";
    x.ms = traced[traced.size() - targets.size() + k].ms;
  }
  for (size_t k = 0; k < ocr_jobs.size(); ++k) {
    Extraction& x = extractions[ocr_jobs[k]];
    x.engine = run.ocr()->name();
    x.ms = ocr_ms[k];
    if (!ocr_results[k].ok()) {
      run.Warn("step " + std::to_string(x.first_step) +
                   ": OCR failed: " + ocr_results[k].status().ToString(),
               x.first_step);
      continue;
    }
    x.text = TrimText(ocr_results[k]->text);
    x.confidence = ocr_results[k]->confidence;
  }
  EmitEvidence(run, extractions, items);
  run.PhaseEnd("evidence");
  return Status::Ok();
}

}  // namespace corgi::pipeline
