#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "corgi/core/mapped_file.h"
#include "corgi/image/decode.h"
#include "corgi/pipeline/report.h"
#include "pipeline/report/html.h"
#include "pipeline/report/report_test_util.h"

namespace corgi::pipeline {
namespace {

using report_internal::Base64Encode;
using report_internal::HtmlEscape;
using report_test::CheckTagBalance;
using report_test::MakeTempDir;
using report_test::NewspaperPhoto;
using report_test::NewspaperResult;
using report_test::StripDataUris;

size_t CountOf(const std::string& haystack, const std::string& needle) {
  size_t n = 0;
  for (size_t p = haystack.find(needle); p != std::string::npos; p = haystack.find(needle, p + 1)) {
    ++n;
  }
  return n;
}

// Writes the report for `result` into `dir` and returns report.html.
std::string WriteAndRead(const Result& result, const RgbImage& image, const std::string& dir) {
  Status s = WriteReport(result, image, dir, ReportOptions{});
  EXPECT_TRUE(s.ok()) << s.ToString();
  StatusOr<std::string> html = ReadFileToString(dir + "/report.html");
  EXPECT_TRUE(html.ok()) << html.status().ToString();
  return html.ok() ? *html : "";
}

// The content: question, answer, explanation, every step and every evidence text whole,
// numbers as the page formats them, and no placeholder words.
void ExpectNewspaperContent(const Result& result, const std::string& text) {
  EXPECT_NE(text.find(HtmlEscape(result.question)), std::string::npos);
  EXPECT_NE(text.find("<p class=\"answer-text\">The New York Times</p>"), std::string::npos);
  EXPECT_NE(text.find(HtmlEscape(result.explanation)), std::string::npos);
  EXPECT_NE(text.find(HtmlEscape(result.chain_of_thought)), std::string::npos);
  for (const Step& s : result.steps) {
    EXPECT_NE(text.find(HtmlEscape(s.statement)), std::string::npos) << s.index;
    if (!s.reason.empty()) {
      EXPECT_NE(text.find(HtmlEscape(s.reason)), std::string::npos);
    }
    for (const std::string& w : s.warnings) EXPECT_NE(text.find(HtmlEscape(w)), std::string::npos);
  }
  for (const Evidence& e : result.evidence) {
    EXPECT_NE(text.find(HtmlEscape(e.text)), std::string::npos) << e.step;
  }
  EXPECT_NE(text.find("confidence 91%"), std::string::npos);
  EXPECT_NE(text.find("from fallback grounding"), std::string::npos);
  EXPECT_NE(text.find("[0.220, 0.100, 0.820, 0.200]"), std::string::npos);  // key box
  EXPECT_NE(text.find("5431.7 ms"), std::string::npos);
  EXPECT_NE(text.find("<dt>tokens generated</dt><dd>612</dd>"), std::string::npos);
  for (const char* placeholder : {">None<", ">null<", "None", "null", "undefined"}) {
    EXPECT_EQ(text.find(placeholder), std::string::npos) << placeholder;
  }
}

TEST(HtmlTextTest, Base64MatchesRfc4648Vectors) {
  EXPECT_EQ(Base64Encode(""), "");
  EXPECT_EQ(Base64Encode("f"), "Zg==");
  EXPECT_EQ(Base64Encode("fo"), "Zm8=");
  EXPECT_EQ(Base64Encode("foo"), "Zm9v");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(Base64Encode(std::string("\xFF\xFE\x00", 3)), "//4A");
}

TEST(HtmlTextTest, EscapesMarkupAndSanitizesText) {
  EXPECT_EQ(HtmlEscape("<script>alert('x') & \"y\"</script>"),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;");
  EXPECT_EQ(HtmlEscape("line1\nline2\ttab"), "line1\nline2\ttab");
  EXPECT_EQ(HtmlEscape(std::string("a\0b\x07"
                                   "c",
                                   5)),
            "abc");  // controls dropped
  EXPECT_EQ(HtmlEscape("caf\xC3\xA9 \xE6\x97\xA5"), "caf\xC3\xA9 \xE6\x97\xA5");  // UTF-8 kept
  EXPECT_EQ(HtmlEscape("bad\xFF!"), "bad\xEF\xBF\xBD!");                          // U+FFFD
  EXPECT_EQ(HtmlEscape("trunc\xE6\x97"), "trunc\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(HtmlEscape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
}

TEST(ReportTest, WritesAnnotatedPngAndSelfContainedHtml) {
  const RgbImage image = NewspaperPhoto();
  const std::string dir = MakeTempDir("full");
  const Result result = NewspaperResult(image, dir);
  const std::string html = WriteAndRead(result, image, dir);
  ASSERT_FALSE(html.empty());

  // annotated.png is the rendered image, losslessly.
  StatusOr<RgbImage> annotated = DecodeImageFile(dir + "/annotated.png");
  ASSERT_TRUE(annotated.ok()) << annotated.status().ToString();
  StatusOr<RgbImage> rendered = RenderAnnotatedImage(result, image, "");
  ASSERT_TRUE(rendered.ok());
  EXPECT_TRUE(annotated->pixels == rendered->pixels);

  // Every crop is embedded as a data URI of the file's exact bytes.
  for (const Evidence& e : result.evidence) {
    StatusOr<std::string> crop = ReadFileToString(dir + "/" + e.crop_file);
    ASSERT_TRUE(crop.ok());
    EXPECT_NE(html.find("data:image/png;base64," + Base64Encode(*crop) + "\""), std::string::npos)
        << e.crop_file;
  }
  // Crops + annotated; the original and the key-evidence cut are JPEGs.
  EXPECT_EQ(CountOf(html, "data:image/png;base64,"), result.evidence.size() + 1);
  EXPECT_EQ(CountOf(html, "data:image/jpeg;base64,"), 1 + result.key_evidence.size());

  // No external requests, no scripts.
  const std::string text = StripDataUris(html);
  EXPECT_EQ(text.find("http://"), std::string::npos);
  EXPECT_EQ(text.find("https://"), std::string::npos);
  EXPECT_EQ(text.find("<script"), std::string::npos);
  EXPECT_EQ(text.find(" src=\"/"), std::string::npos);

  ExpectNewspaperContent(result, text);
  EXPECT_EQ(CheckTagBalance(html), "");
  EXPECT_EQ(text.find("class=\"error\""), std::string::npos);  // no error banner

  // Written atomically: only our files in the directory, no temporaries left behind.
  int files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    const std::string name = entry.path().filename().string();
    EXPECT_TRUE(name == "annotated.png" || name == "report.html" || name == "crops") << name;
    ++files;
  }
  EXPECT_EQ(files, 3);
  std::filesystem::remove_all(dir);
}

TEST(ReportTest, EscapesEveryModelString) {
  const RgbImage image = NewspaperPhoto();
  const std::string dir = MakeTempDir("escape");
  Result r = NewspaperResult(image, dir);
  const std::string evil = "<script>alert(\"x\")</script>";
  r.question = "Is <b>this</b> bold? " + evil;
  r.answer = evil;
  r.explanation = "a & b <img src=x onerror=alert(1)>";
  r.chain_of_thought = "</div></section>" + evil;
  r.steps[0].statement = evil;
  r.steps[0].reason = "<i>reason</i>";
  r.steps[0].warnings.push_back("<warn>");
  r.evidence[0].text = evil + "</article>";
  r.evidence[0].engine = "<engine>";
  r.key_evidence[0].description = evil;
  r.key_evidence[0].reasoning = "<u>why</u>";
  r.timings[0].phase = "<phase>";
  r.model = "<model>";
  r.image_path = "\"><img src=x>";
  r.warnings.push_back("<global warning>");
  const std::string html = WriteAndRead(r, image, dir);
  const std::string text = StripDataUris(html);
  EXPECT_EQ(text.find("<script"), std::string::npos);
  EXPECT_EQ(text.find("<img src=x"), std::string::npos);
  EXPECT_EQ(text.find("<b>this"), std::string::npos);
  EXPECT_EQ(text.find("<engine>"), std::string::npos);
  EXPECT_EQ(text.find("<warn>"), std::string::npos);
  EXPECT_NE(text.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"), std::string::npos);
  EXPECT_NE(text.find("<p class=\"answer-text\">&lt;script&gt;"), std::string::npos);
  EXPECT_NE(text.find("&lt;global warning&gt;"), std::string::npos);
  EXPECT_EQ(CheckTagBalance(html), "");
  std::filesystem::remove_all(dir);
}

TEST(ReportTest, ErrorIsShownFirstAndEmptyFieldsHavePlaceholders) {
  const RgbImage image = NewspaperPhoto();
  const std::string dir = MakeTempDir("error");
  Result r = NewspaperResult(image, dir);
  r.error = "synthesis: the model's answer is not valid JSON (<truncated>)";
  r.answer.clear();
  r.explanation.clear();
  r.key_evidence.clear();
  r.evidence[1].text.clear();  // OCR found nothing
  r.evidence[1].confidence.reset();
  r.evidence[2].crop_file.clear();                // crops not written
  r.evidence[0].crop_file = "crops/missing.png";  // named but absent
  r.evidence.push_back(r.evidence[0]);
  r.evidence.back().crop_file = "../../etc/passwd";  // never read
  const std::string html = WriteAndRead(r, image, dir);
  const std::string text = StripDataUris(html);
  const size_t banner = text.find("<section class=\"error\"");
  ASSERT_NE(banner, std::string::npos);
  EXPECT_LT(banner, text.find("class=\"question\""));
  EXPECT_NE(text.find("not valid JSON (&lt;truncated&gt;)"), std::string::npos);
  EXPECT_NE(text.find("(no answer: the query failed)"), std::string::npos);
  EXPECT_NE(text.find("(OCR found no text)"), std::string::npos);
  EXPECT_NE(text.find("no crop written"), std::string::npos);
  EXPECT_NE(text.find("crop crops/missing.png unreadable"), std::string::npos);
  EXPECT_NE(text.find("crop path ../../etc/passwd is outside the output directory"),
            std::string::npos);
  EXPECT_EQ(text.find("root:"), std::string::npos);
  EXPECT_EQ(CountOf(html, "data:image/png;base64,"), 2u);  // annotated + the one readable crop
  for (const char* placeholder : {"None", "null", "undefined"}) {
    EXPECT_EQ(text.find(placeholder), std::string::npos) << placeholder;
  }
  EXPECT_EQ(CheckTagBalance(html), "");
  std::filesystem::remove_all(dir);
}

TEST(ReportTest, OptionsAndFailures) {
  const RgbImage image = NewspaperPhoto();
  const std::string dir = MakeTempDir("options");
  const Result r = NewspaperResult(image, "");
  ReportOptions only_html;
  only_html.write_annotated = false;
  ASSERT_TRUE(WriteReport(r, image, dir, only_html).ok());
  EXPECT_TRUE(std::filesystem::exists(dir + "/report.html"));
  EXPECT_FALSE(std::filesystem::exists(dir + "/annotated.png"));

  ReportOptions bad_font;
  bad_font.font_path = dir + "/no-such-font.ttf";
  Status s = WriteReport(r, image, dir + "/sub", bad_font);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("fonts-dejavu-core"), std::string::npos);

  // The output "directory" is a regular file: an I/O error, not a crash.
  ASSERT_TRUE(WriteFileAtomically(dir + "/file", "x").ok());
  s = WriteReport(r, image, dir + "/file", ReportOptions{});
  EXPECT_EQ(s.code(), StatusCode::kIoError) << s.ToString();

  ReportOptions nothing;
  nothing.write_annotated = nothing.write_report = false;
  EXPECT_TRUE(WriteReport(r, RgbImage(), dir + "/none", nothing).ok());
  EXPECT_EQ(WriteReport(r, RgbImage(), dir, ReportOptions{}).code(), StatusCode::kInvalidArgument);
  std::filesystem::remove_all(dir);
}

// Not a check: writes the sample report for a person to look at (CORGI_REPORT_SAMPLE_DIR).
TEST(ReportTest, WritesSampleWhenAsked) {
  const char* out = std::getenv("CORGI_REPORT_SAMPLE_DIR");
  if (out == nullptr) GTEST_SKIP() << "set CORGI_REPORT_SAMPLE_DIR to write a sample report";
  const RgbImage image = NewspaperPhoto();
  const std::string ok_dir = std::string(out) + "/ok", error_dir = std::string(out) + "/error";
  const Result r = NewspaperResult(image, ok_dir);
  ASSERT_TRUE(WriteReport(r, image, ok_dir, ReportOptions{}).ok());
  Result failed = NewspaperResult(image, error_dir);
  failed.error = "synthesis: the model's answer is not valid JSON: expected '}' at offset 212";
  failed.answer.clear();
  failed.explanation.clear();
  failed.key_evidence.clear();
  failed.evidence[1].text.clear();
  failed.warnings.push_back("reasoning: step 5 had both flags set; treated as text");
  ASSERT_TRUE(WriteReport(failed, image, error_dir, ReportOptions{}).ok());
}

}  // namespace
}  // namespace corgi::pipeline
