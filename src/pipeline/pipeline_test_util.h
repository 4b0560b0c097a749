// Helpers for the pipeline tests: a fake OCR engine, a test image, and running a
// replay file from tests/data/replay through the pipeline.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "corgi/pipeline/pipeline.h"
#include "corgi/pipeline/replay_vlm.h"

namespace corgi::pipeline::testing {

// Returns a fixed text with confidence 0.9 for every crop; counts its calls.
class FakeOcr : public OcrEngine {
 public:
  explicit FakeOcr(std::string text = "OPEN 24 HOURS") : text_(std::move(text)) {}
  StatusOr<OcrResult> Recognize(const RgbImage& crop) override {
    ++calls;
    if (crop.empty()) return InvalidArgumentError("empty crop");
    OcrResult r;
    r.text = text_;
    r.confidence = 0.9;
    return r;
  }
  std::string name() const override { return "fake-ocr"; }
  std::atomic<int> calls{0};

 private:
  std::string text_;
};

// 600 x 800 with a gradient, so crops differ.
inline RgbImage TestImage() {
  RgbImage img = RgbImage::Make(600, 800);
  for (int64_t y = 0; y < img.height; ++y) {
    for (int64_t x = 0; x < img.width; ++x) {
      uint8_t* p = img.At(y, x);
      p[0] = static_cast<uint8_t>(x % 256);
      p[1] = static_cast<uint8_t>(y % 256);
      p[2] = 128;
    }
  }
  return img;
}

inline std::string ReplayPath(const std::string& name) {
  return std::string(CORGI_TEST_DATA) + "/replay/" + name;
}

struct ReplayRun {
  StatusOr<Result> result = InternalError("not run");
  Trace trace;
  std::vector<Event> events;
  size_t unused_recordings = 0;
};

// Runs `vlm` over the test image with `question`, collecting events and the trace.
inline ReplayRun RunWith(Vlm* vlm, OcrEngine* ocr, const PipelineConfig& config,
                         const std::string& question = "What does the sign say?") {
  ReplayRun run;
  EventSink sink = [&run](const Event& e) { run.events.push_back(e); };
  Pipeline pipeline(vlm, ocr, config);
  run.result = pipeline.Run(Query{"test.png", TestImage(), question}, &sink, &run.trace);
  return run;
}

}  // namespace corgi::pipeline::testing
