// Visual outputs of a query: the annotated image (object boxes green, text boxes red,
// labels S{n}:O / S{n}:T, key evidence highlighted; text drawn with DejaVu Sans via
// FreeType), the crops, and a self-contained report.html (images inline as data URIs).
// All files are written atomically (temporary file + rename).
// Boxes become pixels with the image layer's NormalizedToPixelRect (outward rounding, the
// pixels CropNormalized cuts), so a drawn box frames exactly its crop.
// Thread-safety: both functions may run concurrently (each call opens its own FreeType
// instance); they only read `result` and `original`.
#pragma once

#include <string>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/image/image.h"
#include "corgi/pipeline/result.h"

namespace corgi::pipeline {

struct ReportOptions {
  bool write_annotated = true;  // annotated.png
  bool write_report = true;     // report.html
  std::string font_path;        // empty: DejaVu Sans from fonts-dejavu-core
};

// Draws the annotated image for `result` over `original` (does not write files); the
// returned image is owned by the caller. Errors: InvalidArgument (empty original),
// FailedPrecondition (font missing or unreadable; the message names fonts-dejavu-core).
// `font_path` empty: DejaVu Sans from fonts-dejavu-core.
StatusOr<RgbImage> RenderAnnotatedImage(const Result& result, const RgbImage& original, const std::string& font_path);

// Writes original.png is NOT done here (the pipeline writes the input it read);
// writes annotated.png and report.html into `out_dir` per `options`. The report embeds
// the original, the annotated image and every crop named in result.evidence[i].crop_file
// (read from out_dir). IoError on write failures; FailedPrecondition if the font is missing.
Status WriteReport(const Result& result, const RgbImage& original, const std::string& out_dir,
                   const ReportOptions& options);

}  // namespace corgi::pipeline
