// Measures Tesseract through OcrEngine on the tesseract-ocr/test pages for several page
// segmentation modes: whole pages, rotated pages, the UNLV magazine zones, and line and
// word crops cut by ink projection (so crops do not depend on Tesseract). Prints a table
// (docs/PERFORMANCE.md, OCR) and checks the default mode stays within loose bounds.
// Label slow: about a minute on two cores.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include "corgi/pipeline/ocr.h"
#include "pipeline/ocr/ocr_test_util.h"
#include "pipeline/ocr/text_metrics.h"

namespace corgi::pipeline {
namespace {

using ocr_testing::CropImage;
using ocr_testing::InkColumns;
using ocr_testing::InkRows;
using ocr_testing::InkRun;
using ocr_testing::InkWords;
using ocr_testing::LoadOcrImage;
using ocr_testing::LoadOcrText;
using ocr_testing::TextLines;

struct Sample {
  RgbImage image;
  std::string truth;
};

struct Tally {
  int64_t char_edits = 0, chars = 0, word_edits = 0, words = 0, n = 0;
  double ms = 0;
  void Add(const TextErrorRates& r, double t) {
    char_edits += r.char_edits;
    chars += r.reference_chars;
    word_edits += r.word_edits;
    words += r.reference_words;
    ms += t;
    ++n;
  }
  double cer() const { return static_cast<double>(char_edits) / std::max<int64_t>(1, chars); }
  double wer() const { return static_cast<double>(word_edits) / std::max<int64_t>(1, words); }
};

// Cuts each ground-truth line (and, where the ink gaps agree with the word count, each
// word) out of a clean page.
void CutLinesAndWords(const std::string& image_name, const std::string& truth_name,
                      std::vector<Sample>* lines, std::vector<Sample>* words) {
  RgbImage page = LoadOcrImage(image_name);
  std::vector<std::string> truth = TextLines(LoadOcrText(truth_name));
  std::vector<InkRun> rows = InkRows(page);
  std::string row_list;
  for (const InkRun& r : rows)
    row_list += " [" + std::to_string(r.begin) + "," + std::to_string(r.end) + ")";
  ASSERT_EQ(rows.size(), truth.size())
      << image_name << ": ink rows vs ground-truth lines:" << row_list;
  for (size_t i = 0; i < rows.size(); ++i) {
    const InkRun& r = rows[i];
    std::vector<InkRun> cols = InkColumns(page, r.begin, r.end, 1);
    const int64_t margin = 4;
    lines->push_back({CropImage(page, cols.front().begin - margin, r.begin - margin,
                                cols.back().end + margin, r.end + margin),
                      truth[i]});
    std::vector<std::u32string> truth_words = SplitWords(NormalizeForComparison(truth[i]));
    std::vector<InkRun> word_cols = InkWords(page, r);
    if (word_cols.size() != truth_words.size()) continue;
    std::istringstream split(truth[i]);
    for (const InkRun& c : word_cols) {
      std::string w;
      split >> w;
      words->push_back(
          {CropImage(page, c.begin - margin, r.begin - margin, c.end + margin, r.end + margin), w});
    }
  }
}

// The UNLV page's Text zones in .uzn order; the ground truth covers them in that order.
std::vector<RgbImage> UnlvZones() {
  std::vector<RgbImage> zones;
  RgbImage page = LoadOcrImage("8071_093.3B.png");
  std::istringstream uzn(LoadOcrText("8071_093.3B.uzn"));
  int64_t x, y, w, h;
  std::string label;
  while (uzn >> x >> y >> w >> h >> label) {
    zones.push_back(CropImage(page, x, y, x + w, y + h));
  }
  return zones;
}

Tally Evaluate(OcrEngine& engine, const std::vector<Sample>& samples) {
  Tally t;
  for (const Sample& s : samples) {
    StatusOr<OcrResult> r = engine.Recognize(s.image);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    if (r.ok()) t.Add(CompareText(s.truth, r->text), r->ms);
  }
  return t;
}

TEST(TesseractEvalTest, PageSegmentationModes) {
  std::map<std::string, std::vector<Sample>> sets;
  const std::string photo_truth = LoadOcrText("phototest.txt");
  sets["page phototest"] = {{LoadOcrImage("phototest.png"), photo_truth}};
  sets["page eurotext"] = {{LoadOcrImage("eurotext.png"), LoadOcrText("eurotext.txt")}};
  sets["page phototest rot180"] = {{LoadOcrImage("phototest-rotated-180.png"), photo_truth}};
  sets["page phototest rotL"] = {{LoadOcrImage("phototest-rotated-L.png"), photo_truth}};
  sets["page phototest rotR"] = {{LoadOcrImage("phototest-rotated-R.png"), photo_truth}};
  CutLinesAndWords("phototest.png", "phototest.txt", &sets["lines"], &sets["words"]);
  CutLinesAndWords("eurotext.png", "eurotext.txt", &sets["lines"], &sets["words"]);

  std::printf("%-24s %4s %5s %7s %7s %9s\n", "set", "psm", "n", "CER", "WER", "ms/item");
  for (int psm : {3, 6, 4, 11, 7, 1}) {
    OcrOptions options;
    options.page_segmentation = psm;
    options.workers = 1;
    StatusOr<std::unique_ptr<OcrEngine>> engine = CreateTesseractEngine(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    for (const auto& [name, samples] : sets) {
      if (psm == 7 && name.rfind("page", 0) == 0) continue;  // one line: pages are nonsense
      Tally t = Evaluate(**engine, samples);
      std::printf("%-24s %4d %5lld %6.2f%% %6.2f%% %9.1f\n", name.c_str(), psm,
                  static_cast<long long>(t.n), 100 * t.cer(), 100 * t.wer(), t.ms / t.n);
      if (psm == 3 && name.rfind("page phototest rot", 0) != 0) {
        EXPECT_LT(t.cer(), 0.10) << name;
      }
    }
    if (psm == 3 || psm == 6) {
      // UNLV magazine page: Text zones in order against the whole ground truth.
      std::string hyp;
      double ms = 0;
      for (const RgbImage& zone : UnlvZones()) {
        StatusOr<OcrResult> r = (*engine)->Recognize(zone);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        hyp += r->text + "\n";
        ms += r->ms;
      }
      TextErrorRates r = CompareText(LoadOcrText("8071_093.3B.txt"), hyp);
      std::printf("%-24s %4d %5d %6.2f%% %6.2f%% %9.1f\n", "unlv 8071_093 zones", psm, 9,
                  100 * r.cer, 100 * r.wer, ms / 9);
    }
    std::fflush(stdout);
  }
}

}  // namespace
}  // namespace corgi::pipeline
