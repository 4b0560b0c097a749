// The standard CoRGI workload that `corgi bench pipeline` and `corgi bench serve` run
// (DESIGN.md, docs/PERFORMANCE.md): one 1024×768 image, reasoning 256 tokens, four steps
// (two object captions of 48 tokens on crops, two text steps read by Tesseract beside the
// model), synthesis 128 tokens, EOS ignored, greedy.
//
// Random-weight checkpoints write gibberish, so WorkloadVlm pins the workload: it fixes
// every call's token budget, drops the grammar, and replaces the reasoning and synthesis
// texts with canned ones the pipeline parses into the four steps. The engine still runs
// every token; a hash of all generated tokens lets runs be compared token for token.
#pragma once

#include <sys/resource.h>

#include <algorithm>
#include <cmath>
#include <mutex>
#include <string>
#include <vector>

#include "corgi/core/hash.h"
#include "corgi/engine.h"
#include "corgi/pipeline/config.h"
#include "corgi/pipeline/local_vlm.h"

namespace corgi::cli::bench {

constexpr int64_t kReasoningTokens = 256, kCaptionTokens = 48, kSynthesisTokens = 128;

constexpr int64_t kImageWidth = 1024, kImageHeight = 768;

// The four steps' regions in thousandths of the image: two objects, two text regions,
// apart enough that non-maximum suppression keeps all four.
constexpr int64_t kStepBoxes[4][4] = {
    {40, 120, 420, 560}, {560, 400, 960, 900}, {50, 20, 950, 110}, {40, 700, 480, 980}};

// The canned reasoning, its boxes written in `vlm`'s grounding space for the 1024×768
// image (Qwen3-VL: the thousandths as they are; Qwen2.5-VL: pixels of its resized input),
// so every model family crops the same regions. Errors: those of ModelInputSize.
inline StatusOr<std::string> ReasoningText(const pipeline::Vlm& vlm) {
  double scale_x = 1000, scale_y = 1000;
  if (vlm.grounding_space() == pipeline::GroundingSpace::kResizedInputPixels) {
    CORGI_ASSIGN_OR_RETURN(auto hw, vlm.ModelInputSize(kImageHeight, kImageWidth));
    scale_x = static_cast<double>(hw.second);
    scale_y = static_cast<double>(hw.first);
  }
  auto box = [&](int i) {
    auto at = [&](int k, double scale) {
      return std::to_string(std::llround(kStepBoxes[i][k] * scale / 1000));
    };
    return "[" + at(0, scale_x) + ", " + at(1, scale_y) + ", " + at(2, scale_x) + ", " +
           at(3, scale_y) + "]";
  };
  return "<THINKING>The picture shows several regions worth checking.</THINKING>\n"
         "<STRUCTURED_STEPS>{\"steps\": ["
         "{\"index\": 1, \"statement\": \"There is an object on the left.\", "
         "\"reason\": \"check it\", \"need_object_captioning\": true, "
         "\"need_text_ocr\": false, \"bbox\": " +
         box(0) +
         "}, "
         "{\"index\": 2, \"statement\": \"There is an object on the right.\", "
         "\"reason\": \"check it\", \"need_object_captioning\": true, "
         "\"need_text_ocr\": false, \"bbox\": " +
         box(1) +
         "}, "
         "{\"index\": 3, \"statement\": \"Some text is written at the top.\", "
         "\"reason\": \"read it\", \"need_object_captioning\": false, "
         "\"need_text_ocr\": true, \"bbox\": " +
         box(2) +
         "}, "
         "{\"index\": 4, \"statement\": \"A label sits at the bottom left.\", "
         "\"reason\": \"read it\", \"need_object_captioning\": false, "
         "\"need_text_ocr\": true, \"bbox\": " +
         box(3) + "}]}</STRUCTURED_STEPS>";
}
const char* const kSynthesisText =
    "{\"answer\": \"benchmark\", \"explanation\": \"A fixed answer for the benchmark workload.\", "
    "\"key_evidence\": []}";

struct CallRecord {
  std::string phase;
  int step = 0;
  Completion completion;
};

class WorkloadVlm : public pipeline::Vlm {
 public:
  explicit WorkloadVlm(pipeline::LocalVlm* inner) : inner_(inner) {}

  StatusOr<Completion> Generate(const Request& request, const pipeline::CallInfo& call) override {
    auto out = GenerateBatch({request}, {call});
    return std::move(out[0]);
  }
  std::vector<StatusOr<Completion>> GenerateBatch(const std::vector<Request>& requests,
                                                  const std::vector<pipeline::CallInfo>& calls) override {
    for (const pipeline::CallInfo& c : calls) {
      if (c.phase != "reasoning" && c.phase != "caption" && c.phase != "synthesis") {
        // Grounding or VLM OCR means the canned steps did not route as planned.
        return std::vector<StatusOr<Completion>>(
            requests.size(), FailedPreconditionError("the benchmark workload made an unexpected " +
                                                     c.phase + " call (step " + std::to_string(c.step) + ")"));
      }
    }
    StatusOr<std::string> reasoning_text = ReasoningText(*inner_);
    if (!reasoning_text.ok())
      return std::vector<StatusOr<Completion>>(requests.size(), reasoning_text.status());
    std::vector<Request> pinned = requests;
    for (size_t i = 0; i < pinned.size(); ++i) {
      pinned[i].ignore_eos = true;
      pinned[i].constraint = Constraint();
      pinned[i].max_tokens = Budget(calls[i].phase);
    }
    std::vector<StatusOr<Completion>> out =
        pinned.size() == 1 ? std::vector<StatusOr<Completion>>{} : inner_->GenerateBatch(pinned, calls);
    if (pinned.size() == 1) out.push_back(inner_->Generate(pinned[0], calls[0]));
    std::lock_guard<std::mutex> lock(mutex_);
    for (size_t i = 0; i < out.size(); ++i) {
      if (!out[i].ok()) continue;
      records_.push_back({calls[i].phase, calls[i].step, *out[i]});
      if (calls[i].phase == "reasoning") reasoning_request_ = requests[i];
      if (calls[i].phase == "reasoning") out[i]->text = *reasoning_text;
      if (calls[i].phase == "synthesis") out[i]->text = kSynthesisText;
    }
    return out;
  }
  std::string name() const override { return inner_->name(); }
  pipeline::GroundingSpace grounding_space() const override { return inner_->grounding_space(); }
  StatusOr<std::pair<int64_t, int64_t>> ModelInputSize(int64_t h, int64_t w) const override {
    return inner_->ModelInputSize(h, w);
  }
  const std::vector<CallRecord>& records() const { return records_; }
  // The reasoning request exactly as the pipeline built it (empty messages before it ran).
  const Request& reasoning_request() const { return reasoning_request_; }

 private:
  static int64_t Budget(const std::string& phase) {
    if (phase == "reasoning") return kReasoningTokens;
    if (phase == "synthesis") return kSynthesisTokens;
    return kCaptionTokens;
  }
  pipeline::LocalVlm* inner_;
  std::mutex mutex_;
  std::vector<CallRecord> records_;
  Request reasoning_request_;
};

inline double PeakRssMb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;  // KiB on Linux
}


inline std::string TokensHash(const std::vector<int32_t>& tokens) {
  return HashBytes(tokens.data(), tokens.size() * sizeof(int32_t)).ToHex();
}

inline double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The pipeline settings of the workload: four steps, Tesseract, the budgets above, no files.
inline pipeline::PipelineConfig WorkloadConfig() {
  pipeline::PipelineConfig config;
  config.max_steps = 4;
  config.ocr.engine = "tesseract";
  config.budgets.reasoning = kReasoningTokens;
  config.budgets.caption = kCaptionTokens;
  config.budgets.synthesis = kSynthesisTokens;
  config.outputs = pipeline::OutputConfig{false, false, false, false};
  return config;
}

}  // namespace corgi::cli::bench
