// Optical character recognition of image regions (text evidence, PIPELINE.md phase 3).
// The default engine is Tesseract (Debian's libtesseract with its English data).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/image/image.h"

namespace corgi::pipeline {

struct OcrWord {
  std::string text;
  double confidence = 0;            // 0..1
  int64_t x1 = 0, y1 = 0, x2 = 0, y2 = 0;  // pixels of the input crop
};

struct OcrResult {
  std::string text;                 // lines joined with '\n', trimmed
  std::optional<double> confidence; // mean word confidence 0..1; empty when no words
  std::vector<OcrWord> words;
  double ms = 0;
};

struct OcrOptions {
  std::string languages = "eng";    // Tesseract language codes joined by '+'
  std::string data_path;            // tessdata directory; empty: the library's default
  int64_t min_text_height = 48;     // crops shorter than this are upscaled (Tesseract likes ~30 px x-height)
  int64_t max_upscale = 4;
  int64_t workers = 2;              // engines kept for concurrent Recognize calls
};

// Thread-safe: Recognize may be called from several threads at once (the engine keeps
// a pool of `workers` Tesseract instances).
class OcrEngine {
 public:
  virtual ~OcrEngine() = default;
  virtual StatusOr<OcrResult> Recognize(const RgbImage& crop) = 0;
  virtual std::string name() const = 0;  // "tesseract"
};

// FailedPrecondition with a hint (install tesseract-ocr-<lang>) when the language data is missing.
StatusOr<std::unique_ptr<OcrEngine>> CreateTesseractEngine(const OcrOptions& options);

}  // namespace corgi::pipeline
