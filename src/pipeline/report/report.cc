// WriteReport: annotated.png and report.html, both written atomically.
//
// The page embeds the annotated image as the PNG bytes written to annotated.png (sharp
// lines, no second encode), the original as JPEG quality 90 (pipeline already keeps the
// lossless original.png; a PNG photo would triple the page's size), every crop file as
// is, and a small JPEG cut of each key-evidence box. A crop that cannot be read does not
// fail the report: the page shows why in its place.
#include <filesystem>
#include <string>
#include <system_error>

#include "corgi/core/mapped_file.h"
#include "corgi/image/encode.h"
#include "corgi/image/preprocess.h"
#include "corgi/pipeline/report.h"
#include "pipeline/report/html.h"

namespace corgi::pipeline {
namespace {

using report_internal::ReportImages;

constexpr int kOriginalJpegQuality = 90;
constexpr int kKeyCropJpegQuality = 88;

void CollectCrops(const Result& result, const std::filesystem::path& dir, ReportImages* images) {
  images->crops.resize(result.evidence.size());
  images->crop_notes.resize(result.evidence.size());
  for (size_t i = 0; i < result.evidence.size(); ++i) {
    const std::string& name = result.evidence[i].crop_file;
    if (name.empty()) continue;  // crops were not written: the page says so
    // A result read back from JSON must not make the page embed files outside out_dir.
    if (std::filesystem::path(name).is_absolute() || name.find("..") != std::string::npos) {
      images->crop_notes[i] = "crop path " + name + " is outside the output directory";
      continue;
    }
    StatusOr<std::string> bytes = ReadFileToString((dir / name).string());
    if (bytes.ok()) {
      images->crops[i] = std::move(bytes).value();
    } else {
      images->crop_notes[i] = "crop " + name + " unreadable: " + bytes.status().message();
    }
  }
}

void CollectKeyCrops(const Result& result, const RgbImage& original, ReportImages* images) {
  images->key_crops.resize(result.key_evidence.size());
  for (size_t i = 0; i < result.key_evidence.size(); ++i) {
    const Box& b = result.key_evidence[i].box;
    StatusOr<RgbImage> crop = CropNormalized(original, {b.x1, b.y1, b.x2, b.y2});
    if (!crop.ok()) continue;
    StatusOr<std::string> jpg = EncodeJpeg(*crop, kKeyCropJpegQuality);
    if (jpg.ok()) images->key_crops[i] = std::move(jpg).value();
  }
}

}  // namespace

Status WriteReport(const Result& result, const RgbImage& original, const std::string& out_dir,
                   const ReportOptions& options) {
  if (!options.write_annotated && !options.write_report) return Status::Ok();
  const std::filesystem::path dir(out_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create output directory " + out_dir + ": " + ec.message());

  ReportImages images;
  CORGI_ASSIGN_OR_RETURN(RgbImage annotated,
                         RenderAnnotatedImage(result, original, options.font_path));
  CORGI_ASSIGN_OR_RETURN(images.annotated, EncodePng(annotated));
  if (options.write_annotated) {
    CORGI_RETURN_IF_ERROR(WriteFileAtomically((dir / "annotated.png").string(), images.annotated));
  }
  if (!options.write_report) return Status::Ok();

  CORGI_ASSIGN_OR_RETURN(images.original, EncodeJpeg(original, kOriginalJpegQuality));
  CollectCrops(result, dir, &images);
  CollectKeyCrops(result, original, &images);
  const std::string html = report_internal::BuildReportHtml(result, images);
  return WriteFileAtomically((dir / "report.html").string(), html);
}

}  // namespace corgi::pipeline
