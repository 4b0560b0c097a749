// Writes the files of one query (PIPELINE.md "Results") into an output directory:
//   results.json                      ResultToJson (docs/RESULTS.md)
//   trace.json                        TraceToJson, if outputs.trace and a trace is given
//   original.png                      the input image as decoded
//   crops/step{n}_{object|text}.png   each evidence crop named in Evidence::crop_file
//   annotated.png, report.html        WriteReport (report.h), per outputs.visualization/report
//
//   CORGI_RETURN_IF_ERROR(WriteQueryOutputs(*result, &trace, query.image, config, "out/q1"));
//
// Every file is written atomically (temporary file + rename); the directory is created
// if missing. Errors: IoError (cannot create or write), those of EncodePng and
// WriteReport; files written before the failure stay. Thread-safety: safe for distinct
// out_dir values.
#pragma once

#include <string>

#include "corgi/core/status.h"
#include "corgi/image/image.h"
#include "corgi/pipeline/config.h"
#include "corgi/pipeline/result.h"

namespace corgi::pipeline {

// `trace` may be null. Crops are cut again from `original` at each evidence item's
// crop_box, exactly as the pipeline cut them for the model (box expanded by
// config.crop_expand for results that have no crop_box).
Status WriteQueryOutputs(const Result& result, const Trace* trace, const RgbImage& original,
                         const PipelineConfig& config, const std::string& out_dir);

}  // namespace corgi::pipeline
