// OcrEngine on Tesseract against the tesseract-ocr/test ground truth (shared/data/ocr).
// Bounds are a little above what was measured (docs/PERFORMANCE.md, OCR); boxes are
// checked against ink bounding boxes computed from the pixels, not against Tesseract.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <thread>

#include "corgi/image/resize.h"
#include "corgi/pipeline/ocr.h"
#include "pipeline/ocr/ocr_test_util.h"
#include "pipeline/ocr/text_metrics.h"

namespace corgi::pipeline {
namespace {

using ocr_testing::CropImage;
using ocr_testing::InkRows;
using ocr_testing::InkRun;
using ocr_testing::InkWords;
using ocr_testing::IsInk;
using ocr_testing::LoadOcrImage;
using ocr_testing::LoadOcrText;
using ocr_testing::TextLines;

struct Box {
  int64_t x1 = 0, y1 = 0, x2 = 0, y2 = 0;
};

// Tight box around the ink inside [x1, x2) x [y1, y2).
Box InkBox(const RgbImage& image, Box region) {
  Box b{region.x2, region.y2, region.x1, region.y1};
  for (int64_t y = region.y1; y < region.y2; ++y) {
    for (int64_t x = region.x1; x < region.x2; ++x) {
      if (!IsInk(image.At(y, x))) continue;
      b = {std::min(b.x1, x), std::min(b.y1, y), std::max(b.x2, x + 1), std::max(b.y2, y + 1)};
    }
  }
  return b;
}

void ExpectBoxNear(const OcrWord& w, const Box& want, int64_t tol, const std::string& what) {
  EXPECT_NEAR(w.x1, want.x1, tol) << what << " '" << w.text << "'";
  EXPECT_NEAR(w.y1, want.y1, tol) << what << " '" << w.text << "'";
  EXPECT_NEAR(w.x2, want.x2, tol) << what << " '" << w.text << "'";
  EXPECT_NEAR(w.y2, want.y2, tol) << what << " '" << w.text << "'";
}

class TesseractEngineTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    OcrOptions options;
    options.workers = 4;
    StatusOr<std::unique_ptr<OcrEngine>> engine = CreateTesseractEngine(options);
    ASSERT_TRUE(engine.ok()) << engine.status().ToString();
    engine_ = std::move(engine).value().release();
  }
  static void TearDownTestSuite() {
    delete engine_;
    engine_ = nullptr;
  }

  static OcrResult Read(const RgbImage& image) {
    StatusOr<OcrResult> r = engine_->Recognize(image);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *std::move(r) : OcrResult{};
  }

  // The word crop with `margin` pixels of page around the ink of word `word` of line `line`
  // of phototest.png ("The quick brown dog jumped over the" is line 3, 0-based).
  static RgbImage PhototestWord(int line, int word, int64_t margin, Box* ink_in_crop) {
    RgbImage page = LoadOcrImage("phototest.png");
    std::vector<InkRun> rows = InkRows(page);
    const InkRun& r = rows.at(line);
    const InkRun c = InkWords(page, r).at(word);
    Box ink = InkBox(page, {c.begin, r.begin, c.end, r.end});
    *ink_in_crop = {margin, margin, ink.x2 - ink.x1 + margin, ink.y2 - ink.y1 + margin};
    return CropImage(page, ink.x1 - margin, ink.y1 - margin, ink.x2 + margin, ink.y2 + margin);
  }

  static OcrEngine* engine_;
};

OcrEngine* TesseractEngineTest::engine_ = nullptr;

TEST_F(TesseractEngineTest, Name) { EXPECT_EQ(engine_->name(), "tesseract"); }

TEST_F(TesseractEngineTest, PhototestPage) {
  RgbImage page = LoadOcrImage("phototest.png");
  OcrResult r = Read(page);
  TextErrorRates e = CompareText(LoadOcrText("phototest.txt"), r.text);
  // Measured: CER 0.00 %, WER 0.00 % (PSM 6).
  EXPECT_LE(e.cer, 0.01) << r.text;
  EXPECT_LE(e.wer, 0.03) << r.text;
  EXPECT_EQ(r.upscale, 1);
  ASSERT_TRUE(r.confidence.has_value());
  EXPECT_GT(*r.confidence, 0.8);
  EXPECT_EQ(static_cast<int64_t>(r.words.size()), e.reference_words);
  for (const OcrWord& w : r.words) {
    EXPECT_GE(w.confidence, 0.0);
    EXPECT_LE(w.confidence, 1.0);
    EXPECT_TRUE(0 <= w.x1 && w.x1 < w.x2 && w.x2 <= page.width) << w.text;
    EXPECT_TRUE(0 <= w.y1 && w.y1 < w.y2 && w.y2 <= page.height) << w.text;
  }
  // Lines come back as lines: 11 non-empty ground-truth lines, one '\n' between each.
  EXPECT_EQ(std::count(r.text.begin(), r.text.end(), '\n'),
            static_cast<int64_t>(TextLines(LoadOcrText("phototest.txt")).size()) - 1);
  // The first line's word boxes match the ink of the words, cut by projection.
  std::vector<InkRun> rows = InkRows(page);
  std::vector<InkRun> cols = InkWords(page, rows[0]);
  ASSERT_EQ(cols.size(), 11u);  // "This is a lot of 12 point text to test the"
  ASSERT_GE(r.words.size(), cols.size());
  for (size_t i = 0; i < cols.size(); ++i) {
    ExpectBoxNear(r.words[i],
                  InkBox(page, {cols[i].begin, rows[0].begin, cols[i].end, rows[0].end}), 1,
                  "phototest line 1");
  }
}

TEST_F(TesseractEngineTest, EurotextPage) {
  OcrResult r = Read(LoadOcrImage("eurotext.png"));
  TextErrorRates e = CompareText(LoadOcrText("eurotext.txt"), r.text);
  // Measured with the eng model: CER 2.18 %, WER 10.61 % (ü -> ii, ã -> é, „ -> ,.).
  EXPECT_LT(e.cer, 0.03) << r.text;
  EXPECT_LT(e.wer, 0.13) << r.text;
  EXPECT_NE(r.text.find("aspammer@website.com"), std::string::npos) << r.text;
}

TEST_F(TesseractEngineTest, TinyWordCropIsUpscaledAndRead) {
  // "quick" with 2 px of page around it (34x76), halved to 17x38: x-height about 7 px.
  Box ink;
  RgbImage word = PhototestWord(3, 1, 2, &ink);
  StatusOr<RgbImage> small =
      ResizeBicubic(word, word.height / 2, word.width / 2, ResamplePrecision::kPillow);
  ASSERT_TRUE(small.ok());
  const RgbImage& crop = *small;
  ASSERT_LE(crop.height, 20);
  OcrResult r = Read(crop);
  EXPECT_EQ(r.upscale, 3);  // ceil(48 / 17)
  EXPECT_EQ(r.text, "quick");
  ASSERT_EQ(r.words.size(), 1u);
  ExpectBoxNear(r.words[0], {ink.x1 / 2, ink.y1 / 2, ink.x2 / 2, ink.y2 / 2}, 2, "tiny crop");
  ASSERT_TRUE(r.confidence.has_value());
  EXPECT_GT(*r.confidence, 0.8);

  OcrOptions no_upscale;
  no_upscale.max_upscale = 1;
  no_upscale.workers = 1;
  StatusOr<std::unique_ptr<OcrEngine>> plain = CreateTesseractEngine(no_upscale);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  StatusOr<OcrResult> r1 = (*plain)->Recognize(crop);
  ASSERT_TRUE(r1.ok());
  EXPECT_EQ(r1->upscale, 1);
}

TEST_F(TesseractEngineTest, BoxesMapBackThroughUpscale) {
  // The word pasted at (100, 9) into a white 40x260 canvas: 40 < 48 rows, so it is read
  // at 2x, and the box must come back in canvas pixels.
  Box ink;
  RgbImage word = PhototestWord(3, 2, 0, &ink);  // "brown"
  RgbImage canvas = RgbImage::Make(40, 260);
  std::fill(canvas.pixels.begin(), canvas.pixels.end(), 255);
  const int64_t ox = 100, oy = 9;
  for (int64_t y = 0; y < word.height; ++y) {
    std::copy_n(word.At(y, 0), word.row_bytes(), canvas.At(oy + y, ox));
  }
  OcrResult r = Read(canvas);
  EXPECT_EQ(r.upscale, 2);
  EXPECT_EQ(r.text, "brown");
  ASSERT_EQ(r.words.size(), 1u);
  ExpectBoxNear(r.words[0], {ox + ink.x1, oy + ink.y1, ox + ink.x2, oy + ink.y2}, 1, "canvas");
}

TEST_F(TesseractEngineTest, BlankAndEmptyCropsGiveEmptyText) {
  std::vector<RgbImage> blanks;
  for (auto [h, w, v] :
       {std::tuple{120, 400, 255}, {50, 50, 0}, {30, 30, 128}, {1, 1, 255}, {300, 2, 255}}) {
    RgbImage img = RgbImage::Make(h, w);
    std::fill(img.pixels.begin(), img.pixels.end(), static_cast<uint8_t>(v));
    blanks.push_back(std::move(img));
  }
  blanks.push_back(RgbImage{});
  for (const RgbImage& img : blanks) {
    StatusOr<OcrResult> r = engine_->Recognize(img);
    ASSERT_TRUE(r.ok()) << img.width << "x" << img.height << ": " << r.status().ToString();
    EXPECT_EQ(r->text, "") << img.width << "x" << img.height;
    EXPECT_FALSE(r->confidence.has_value());
    EXPECT_TRUE(r->words.empty());
  }
}

TEST_F(TesseractEngineTest, ConcurrentMatchesSequential) {
  std::vector<RgbImage> crops;
  for (const char* name : {"phototest.png", "eurotext.png"}) {
    RgbImage page = LoadOcrImage(name);
    for (const InkRun& r : InkRows(page))
      crops.push_back(CropImage(page, 0, r.begin - 3, page.width, r.end + 3));
  }
  crops.push_back(LoadOcrImage("phototest.png"));
  std::vector<OcrResult> sequential;
  for (const RgbImage& c : crops) sequential.push_back(Read(c));

  constexpr int kThreads = 4;
  std::vector<std::vector<OcrResult>> got(kThreads, std::vector<OcrResult>(crops.size()));
  std::vector<std::string> errors(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t k = 0; k < crops.size(); ++k) {
        const size_t i = (k + t * crops.size() / kThreads) % crops.size();  // staggered
        StatusOr<OcrResult> r = engine_->Recognize(crops[i]);
        if (!r.ok()) errors[t] = r.status().ToString();
        if (r.ok()) got[t][i] = *std::move(r);
      }
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(errors[t], "");
    for (size_t i = 0; i < crops.size(); ++i) {
      const OcrResult& a = sequential[i];
      const OcrResult& b = got[t][i];
      EXPECT_EQ(a.text, b.text) << "thread " << t << " crop " << i;
      ASSERT_EQ(a.words.size(), b.words.size());
      for (size_t w = 0; w < a.words.size(); ++w) {
        EXPECT_EQ(a.words[w].confidence, b.words[w].confidence);
        EXPECT_EQ(a.words[w].x1, b.words[w].x1);
        EXPECT_EQ(a.words[w].y2, b.words[w].y2);
      }
    }
  }
}

TEST_F(TesseractEngineTest, BadPixelBufferIsInvalidArgument) {
  RgbImage bad;
  bad.height = 10;
  bad.width = 10;
  StatusOr<OcrResult> r = engine_->Recognize(bad);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);

  RgbImage huge;
  huge.height = 1;
  huge.width = 40000;
  huge.pixels.assign(40000 * 3, 255);
  r = engine_->Recognize(huge);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
}

TEST(TesseractOptionsTest, MissingLanguageIsFailedPreconditionWithHintAndNoChatter) {
  OcrOptions options;
  options.workers = 1;
  for (const char* langs : {"zzq", "eng+zzq"}) {
    options.languages = langs;
    ::testing::internal::CaptureStderr();
    StatusOr<std::unique_ptr<OcrEngine>> engine = CreateTesseractEngine(options);
    std::string chatter = ::testing::internal::GetCapturedStderr();
    ASSERT_FALSE(engine.ok()) << langs;
    EXPECT_EQ(engine.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(engine.status().message().find("tesseract-ocr-zzq"), std::string::npos)
        << engine.status().ToString();
    EXPECT_EQ(engine.status().message().find("tesseract-ocr-eng"), std::string::npos);
    EXPECT_EQ(chatter, "") << langs;
  }

  // A data directory without eng.traineddata.
  std::filesystem::path empty = std::filesystem::temp_directory_path() / "corgi_ocr_empty_tessdata";
  std::filesystem::create_directories(empty);
  options.languages = "eng";
  options.data_path = empty.string();
  StatusOr<std::unique_ptr<OcrEngine>> engine = CreateTesseractEngine(options);
  ASSERT_FALSE(engine.ok());
  EXPECT_EQ(engine.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(engine.status().message().find("tesseract-ocr-eng"), std::string::npos);
  EXPECT_NE(engine.status().message().find(empty.string()), std::string::npos);
}

TEST(TesseractOptionsTest, InvalidOptions) {
  auto expect_invalid = [](OcrOptions o, const char* what) {
    StatusOr<std::unique_ptr<OcrEngine>> engine = CreateTesseractEngine(o);
    ASSERT_FALSE(engine.ok()) << what;
    EXPECT_EQ(engine.status().code(), StatusCode::kInvalidArgument) << what;
  };
  OcrOptions o;
  o.workers = 0;
  expect_invalid(o, "workers 0");
  o = {};
  o.page_segmentation = 0;
  expect_invalid(o, "psm 0");
  o.page_segmentation = 2;
  expect_invalid(o, "psm 2");
  o.page_segmentation = 14;
  expect_invalid(o, "psm 14");
  o = {};
  o.max_upscale = 0;
  expect_invalid(o, "max_upscale 0");
  o = {};
  o.languages = "";
  expect_invalid(o, "no language");
  o.languages = "eng;rm";
  expect_invalid(o, "bad language");
}

}  // namespace
}  // namespace corgi::pipeline
