#include "corgi/pipeline/outputs.h"

#include <filesystem>
#include <set>

#include "corgi/core/mapped_file.h"
#include "corgi/image/encode.h"
#include "corgi/image/preprocess.h"
#include "corgi/pipeline/report.h"
#include "corgi/pipeline/results_json.h"
#include "pipeline/boxes.h"

namespace corgi::pipeline {
namespace {

Status MakeDirectory(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create directory " + dir.string() + ": " + ec.message());
  return Status::Ok();
}

Status WritePng(const RgbImage& image, const std::filesystem::path& path) {
  CORGI_ASSIGN_OR_RETURN(std::string png, EncodePng(image));
  return WriteFileAtomically(path.string(), png);
}

// Each distinct crop file once (evidence shared by several steps names the same file).
Status WriteCrops(const Result& result, const RgbImage& original, double crop_expand,
                  const std::filesystem::path& dir) {
  std::set<std::string> written;
  for (const Evidence& e : result.evidence) {
    if (e.crop_file.empty() || !written.insert(e.crop_file).second) continue;
    std::filesystem::path relative(e.crop_file);
    // A result read back from JSON must not write outside the output directory.
    if (relative.is_absolute() || e.crop_file.find("..") != std::string::npos) {
      return InvalidArgumentError("crop_file \"" + e.crop_file +
                                  "\" must be a relative path inside the output directory");
    }
    std::filesystem::path path = dir / relative;
    CORGI_RETURN_IF_ERROR(MakeDirectory(path.parent_path()));
    // The region the model saw; results from before crop_box: the box expanded as then.
    Box region = e.crop_box ? *e.crop_box : ExpandBox(e.box, crop_expand);
    CORGI_ASSIGN_OR_RETURN(RgbImage crop,
                           CropNormalized(original, {region.x1, region.y1, region.x2, region.y2}));
    CORGI_RETURN_IF_ERROR(WritePng(crop, path));
  }
  return Status::Ok();
}

}  // namespace

Status WriteQueryOutputs(const Result& result, const Trace* trace, const RgbImage& original,
                         const PipelineConfig& config, const std::string& out_dir) {
  const std::filesystem::path dir(out_dir);
  CORGI_RETURN_IF_ERROR(MakeDirectory(dir));
  // The JSON first: it is what batch runs and scripts read.
  CORGI_RETURN_IF_ERROR(
      WriteFileAtomically((dir / "results.json").string(), ResultToJson(result) + "\n"));
  if (config.outputs.trace && trace != nullptr) {
    CORGI_RETURN_IF_ERROR(
        WriteFileAtomically((dir / "trace.json").string(), TraceToJson(*trace) + "\n"));
  }
  CORGI_RETURN_IF_ERROR(WritePng(original, dir / "original.png"));
  if (config.outputs.crops)
    CORGI_RETURN_IF_ERROR(WriteCrops(result, original, config.crop_expand, dir));
  if (config.outputs.visualization || config.outputs.report) {
    ReportOptions options;
    options.write_annotated = config.outputs.visualization;
    options.write_report = config.outputs.report;
    CORGI_RETURN_IF_ERROR(WriteReport(result, original, out_dir, options));
  }
  return Status::Ok();
}

}  // namespace corgi::pipeline
