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
  double ms = 0;                    // preprocessing + recognition, not waiting for a worker
  int64_t upscale = 1;              // integer factor the crop was enlarged by before OCR
};

struct OcrOptions {
  std::string languages = "eng";    // Tesseract language codes joined by '+'
  std::string data_path;            // tessdata directory; empty: the library's default
  int64_t min_text_height = 48;     // crops shorter than this are upscaled (Tesseract likes ~30 px x-height)
  int64_t max_upscale = 4;
  int64_t workers = 2;              // engines kept for concurrent Recognize calls
  // Tesseract page segmentation mode (--psm). 6 (one uniform block of text) measured best
  // or equal on single words, single lines, pages and magazine zones (docs/PERFORMANCE.md,
  // OCR); 3 (automatic layout) lost characters on one-word crops. 6 reads a multi-column
  // crop row by row across columns; 1 adds orientation detection (rotated text) at about
  // twice the time. Accepted: 1, 3-13 (0 and 2 produce no text).
  int64_t page_segmentation = 6;
  bool grayscale = true;            // feed Tesseract luma (BT.601) rather than RGB
};

// Thread-safe: Recognize may be called from several threads at once (the engine keeps
// a pool of `workers` Tesseract instances).
class OcrEngine {
 public:
  virtual ~OcrEngine() = default;
  // Reads the text in `crop` (borrowed for the call). Crops shorter than min_text_height
  // are enlarged by an integer factor first; word boxes are in `crop`'s pixels. A blank
  // or empty crop gives empty text and no confidence, not an error. Errors: InvalidArgument
  // (pixel buffer does not match the size), OutOfRange (a side above 32767 px),
  // ResourceExhausted, Internal (Tesseract failed). Blocks while all workers are busy.
  virtual StatusOr<OcrResult> Recognize(const RgbImage& crop) = 0;
  virtual std::string name() const = 0;  // "tesseract"
};

// FailedPrecondition with a hint (install tesseract-ocr-<lang>) when the language data is missing.
// InvalidArgument for out-of-range options. Loads the language data once per worker
// (about 0.2 s of CPU each for eng). Tesseract's own messages are discarded (its global
// debug_file is set to /dev/null), and OpenMP inside libtesseract is made single-threaded
// on each calling thread (parallelism comes from the workers). The caller owns the engine.
StatusOr<std::unique_ptr<OcrEngine>> CreateTesseractEngine(const OcrOptions& options);

}  // namespace corgi::pipeline
