// Phase 3 (PIPELINE.md): evidence routed by type. Object regions are captioned by the
// model (one batch); text regions are read by the OCR engine on worker threads while the
// captions decode, or by the model when ocr.engine = vlm. Identical (box, kind) pairs
// are extracted once. One failed extraction (a crop, a model call, the OCR engine) is an
// error on its evidence items; the query goes on.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <future>

#include "corgi/image/preprocess.h"
#include "pipeline/model_text.h"
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
  Box crop_box;  // the region cut (EvidenceCropBox)
  std::shared_ptr<const RgbImage> crop;
  std::string text;
  std::string engine;
  std::optional<double> confidence;
  double ms = 0;
  std::optional<std::string> error;  // set when the crop or the extraction failed
};

std::string CropName(const Step& step, EvidenceKind kind, size_t box_index) {
  // Appends rather than `"literal" + std::string`, which g++ 12 flags with a false -Wrestrict.
  std::string name = "crops/step";
  name.append(std::to_string(step.index)).append("_").append(EvidenceKindName(kind));
  if (step.boxes.size() > 1) name.append("_").append(std::to_string(box_index + 1));
  return name + ".png";
}

// A box narrower or shorter than one pixel of the image is a model's mistake more
// likely than a region: it is kept (padded to the model's minimum crop), with a warning.
void WarnIfSubPixel(QueryRun& run, const Extraction& e, const CropMinimum& minimum) {
  const RgbImage& image = run.query().image;
  double w = (e.box.x2 - e.box.x1) * static_cast<double>(image.width);
  double h = (e.box.y2 - e.box.y1) * static_cast<double>(image.height);
  if (w >= 1 && h >= 1) return;
  char size[64];
  std::snprintf(size, sizeof(size), "%.3g x %.3g pixels", w, h);
  run.Warn("step " + std::to_string(e.first_step) + ": box " + ModelBoxText(e.box, run.frame()) +
               " is " + size + " of the " + std::to_string(image.width) + "x" +
               std::to_string(image.height) + " image, smaller than a pixel; the crop is padded to " +
               std::to_string(minimum.width) + "x" + std::to_string(minimum.height) + " pixels",
           e.first_step);
}

// Fills `extractions` (unique) and `items` (step, extraction) in step order. Crops are
// padded to the model's minimum input size; a crop that fails is an error on its item.
void PlanExtractions(QueryRun& run, std::vector<Extraction>* extractions,
                     std::vector<std::pair<int, size_t>>* items) {
  // Unknown (the Vlm cannot say): crops are not padded.
  StatusOr<CropMinimum> known = CropMinimumFor(run.vlm());
  const CropMinimum minimum = known.ok() ? *known : CropMinimum{};
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
        WarnIfSubPixel(run, e, minimum);
        const RgbImage& image = run.query().image;
        e.crop_box = EvidenceCropBox(e.box, run.config().crop_expand, image.width, image.height,
                                     minimum);
        StatusOr<RgbImage> crop =
            CropNormalized(image, {e.crop_box.x1, e.crop_box.y1, e.crop_box.x2, e.crop_box.y2});
        if (crop.ok()) {
          e.crop = std::make_shared<const RgbImage>(std::move(*crop));
        } else {
          e.error = "crop failed: " + crop.status().ToString();
          run.Warn("step " + std::to_string(step.index) + ": " + *e.error, step.index);
        }
        extractions->push_back(std::move(e));
      }
      items->emplace_back(step.index, index);
    }
  }
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
    if (e.error) continue;
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

// A caption or VLM-OCR text without the model's <think> blocks, which must not reach
// results or the synthesis prompt.
std::string ModelEvidenceText(QueryRun& run, const Extraction& x, const std::string& output) {
  ThinkStripped t = StripThinkBlocks(output);
  if (t.unterminated && t.text.empty()) {
    run.Warn("step " + std::to_string(x.first_step) + ": the " +
                 (x.kind == EvidenceKind::kObject ? std::string("caption") : std::string("OCR")) +
                 " output is an unterminated <think> block; no text kept",
             x.first_step);
  }
  return t.text;
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
               run.config().outputs.crops && x.crop ? x.crop_name : "",
               x.crop ? std::optional<Box>(x.crop_box) : std::nullopt,
               x.error};
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
  PlanExtractions(run, &extractions, &items);
  bool vlm_ocr = run.config().ocr.engine == "vlm";

  std::vector<size_t> ocr_jobs;
  for (size_t i = 0; i < extractions.size(); ++i) {
    if (extractions[i].kind == EvidenceKind::kText && !vlm_ocr && !extractions[i].error) {
      ocr_jobs.push_back(i);
    }
  }
  std::vector<StatusOr<OcrResult>> ocr_results(ocr_jobs.size(), InternalError("OCR did not run"));
  std::vector<double> ocr_ms(ocr_jobs.size(), 0);
  std::atomic<size_t> next{0};
  // OCR runs beside the model's caption batch; the futures join before this returns.
  std::vector<std::future<void>> workers =
      StartOcr(run, extractions, ocr_jobs, &ocr_results, &ocr_ms, &next);

  std::vector<size_t> targets;
  std::vector<PlannedCall> calls = PlanModelCalls(run, extractions, vlm_ocr, &targets);
  std::vector<double> call_ms;
  StatusOr<std::vector<StatusOr<Completion>>> out = run.CallEach(calls, &call_ms);
  for (std::future<void>& w : workers) w.wait();
  if (!out.ok()) return out.status();  // cancelled

  for (size_t k = 0; k < targets.size(); ++k) {
    Extraction& x = extractions[targets[k]];
    x.engine = x.kind == EvidenceKind::kObject ? "vlm-caption" : "vlm-ocr";
    x.ms = call_ms[k];
    const StatusOr<Completion>& c = (*out)[k];
    if (!c.ok()) {
      x.error = calls[k].info.phase + " call failed: " + c.status().ToString();
      run.Warn("step " + std::to_string(x.first_step) + ": " + *x.error, x.first_step);
      continue;
    }
    x.text = ModelEvidenceText(run, x, c->text);
  }
  for (size_t k = 0; k < ocr_jobs.size(); ++k) {
    Extraction& x = extractions[ocr_jobs[k]];
    x.engine = run.ocr()->name();
    x.ms = ocr_ms[k];
    if (!ocr_results[k].ok()) {
      x.error = "OCR failed: " + ocr_results[k].status().ToString();
      run.Warn("step " + std::to_string(x.first_step) + ": " + *x.error, x.first_step);
      continue;
    }
    x.text = TrimSpace(ocr_results[k]->text);
    x.confidence = ocr_results[k]->confidence;
  }
  EmitEvidence(run, extractions, items);
  run.PhaseEnd("evidence");
  return Status::Ok();
}

}  // namespace corgi::pipeline
