// Fixtures for the report tests: a realistic hand-built Result for the newspaper photo
// in shared/data (llama.cpp's test-1.jpeg: "what is the publisher name of the
// newspaper?"), temp directories, and a tag-balance checker for HTML.
#pragma once

#include <string>

#include "corgi/image/image.h"
#include "corgi/pipeline/result.h"

namespace corgi::pipeline::report_test {

// shared/data/images/llama_cpp_mtmd/test-1.jpeg (640x488), decoded; fails the test if absent.
RgbImage NewspaperPhoto();

// Four steps (two text steps with OCR evidence, one object step with a caption from
// fallback grounding, one pure reasoning step), one key evidence, timings and counts.
// When `crop_dir` is not empty, each evidence crop is cut from `image`, encoded as PNG and
// written there as crops/step{n}_{object|text}.png, and crop_file is set.
Result NewspaperResult(const RgbImage& image, const std::string& crop_dir);

// A fresh empty directory under the system temp dir, unique per call.
std::string MakeTempDir(const std::string& tag);

// Checks that every non-void element is closed in order (a stack of open tags; void
// elements, comments and the doctype skipped; text inside <style> ignored). Returns ""
// when balanced, else a description of the first problem.
std::string CheckTagBalance(const std::string& html);

// `html` with the payload of every base64 data URI removed (so that searches for words
// such as "null" do not hit random base64 text).
std::string StripDataUris(const std::string& html);

}  // namespace corgi::pipeline::report_test
