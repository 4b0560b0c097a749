// Helpers shared by the OCR tests: the tesseract-ocr/test pages in shared/data.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "corgi/core/mapped_file.h"
#include "corgi/image/decode.h"
#include "corgi/image/image.h"

namespace corgi::pipeline::ocr_testing {

inline std::string OcrDataPath(const std::string& name) {
  return std::string(CORGI_SHARED_DATA) + "/ocr/tesseract_test/" + name;
}

inline RgbImage LoadOcrImage(const std::string& name) {
  StatusOr<RgbImage> image = DecodeImageFile(OcrDataPath(name));
  EXPECT_TRUE(image.ok()) << image.status().ToString();
  return image.ok() ? *std::move(image) : RgbImage{};
}

inline std::string LoadOcrText(const std::string& name) {
  StatusOr<std::string> text = ReadFileToString(OcrDataPath(name));
  EXPECT_TRUE(text.ok()) << text.status().ToString();
  return text.ok() ? *std::move(text) : std::string();
}

// Copies rows [y1, y2) and columns [x1, x2) of `image` (clamped).
inline RgbImage CropImage(const RgbImage& image, int64_t x1, int64_t y1, int64_t x2, int64_t y2) {
  x1 = std::max<int64_t>(0, x1);
  y1 = std::max<int64_t>(0, y1);
  x2 = std::min(image.width, x2);
  y2 = std::min(image.height, y2);
  RgbImage out = RgbImage::Make(std::max<int64_t>(0, y2 - y1), std::max<int64_t>(0, x2 - x1));
  for (int64_t y = 0; y < out.height; ++y) {
    std::copy_n(image.At(y1 + y, x1), out.row_bytes(), out.At(y, 0));
  }
  return out;
}

// Dark-pixel projection segmentation, independent of Tesseract, used to cut line and
// word crops out of clean scans. A run is [begin, end) of rows (or columns) holding ink;
// runs separated by fewer than `min_gap` empty rows/columns merge.
struct InkRun {
  int64_t begin = 0, end = 0;
};

inline bool IsInk(const uint8_t* px) { return px[0] + px[1] + px[2] < 3 * 128; }

inline std::vector<InkRun> InkRuns(const std::vector<int64_t>& counts, int64_t min_gap) {
  std::vector<InkRun> runs;
  for (int64_t i = 0; i < static_cast<int64_t>(counts.size()); ++i) {
    if (counts[i] == 0) continue;
    if (!runs.empty() && i - runs.back().end < min_gap) {
      runs.back().end = i + 1;
    } else {
      runs.push_back({i, i + 1});
    }
  }
  return runs;
}

// Text lines: rows of ink, with short runs (diacritics, quote marks above the line body)
// merged into the line below them, or above when there is none.
inline std::vector<InkRun> InkRows(const RgbImage& image) {
  std::vector<int64_t> counts(image.height, 0);
  for (int64_t y = 0; y < image.height; ++y)
    for (int64_t x = 0; x < image.width; ++x) counts[y] += IsInk(image.At(y, x));
  std::vector<InkRun> runs = InkRuns(counts, 1);
  if (runs.empty()) return runs;
  std::vector<int64_t> heights;
  for (const InkRun& r : runs) heights.push_back(r.end - r.begin);
  std::nth_element(heights.begin(), heights.begin() + heights.size() / 2, heights.end());
  const int64_t median = heights[heights.size() / 2];
  std::vector<InkRun> lines;
  InkRun pending{-1, -1};
  for (const InkRun& r : runs) {
    InkRun cur = r;
    if (pending.begin >= 0) cur.begin = pending.begin;
    pending = {-1, -1};
    if (2 * (r.end - r.begin) < median) {
      pending = cur;
      continue;
    }
    lines.push_back(cur);
  }
  if (pending.begin >= 0 && !lines.empty()) lines.back().end = pending.end;
  // Two lines whose descenders and ascenders touch: split at the emptiest row.
  std::vector<InkRun> split;
  for (const InkRun& r : lines) {
    if (2 * (r.end - r.begin) <= 3 * median) {
      split.push_back(r);
      continue;
    }
    int64_t cut = r.begin + median / 2;
    for (int64_t y = cut; y < r.end - median / 2; ++y) {
      if (counts[y] < counts[cut]) cut = y;
    }
    split.push_back({r.begin, cut});
    split.push_back({cut, r.end});
  }
  return split;
}

inline std::vector<InkRun> InkColumns(const RgbImage& image, int64_t y1, int64_t y2,
                                      int64_t min_gap) {
  std::vector<int64_t> counts(image.width, 0);
  for (int64_t y = y1; y < y2; ++y)
    for (int64_t x = 0; x < image.width; ++x) counts[x] += IsInk(image.At(y, x));
  return InkRuns(counts, min_gap);
}

// Words of a line: ink columns separated by gaps wider than a quarter of the line height
// (phototest letters and digits sit at most 7 px apart, words at least 9 px, in 30 px lines).
inline std::vector<InkRun> InkWords(const RgbImage& image, const InkRun& line) {
  return InkColumns(image, line.begin, line.end, (line.end - line.begin) / 4 + 1);
}

// Non-empty lines of a ground-truth file, in order.
inline std::vector<std::string> TextLines(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (line.find_first_not_of(" \t\r") != std::string::npos) lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

}  // namespace corgi::pipeline::ocr_testing
