#include "pipeline/report/report_test_util.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <vector>

#include "corgi/core/mapped_file.h"
#include "corgi/image/decode.h"
#include "corgi/image/encode.h"
#include "corgi/image/preprocess.h"

namespace corgi::pipeline::report_test {

RgbImage NewspaperPhoto() {
  StatusOr<RgbImage> img =
      DecodeImageFile(std::string(CORGI_SHARED_DATA) + "/images/llama_cpp_mtmd/test-1.jpeg");
  EXPECT_TRUE(img.ok()) << img.status().ToString();
  return img.ok() ? std::move(img).value() : RgbImage::Make(488, 640);
}

namespace {

void WriteCrop(const RgbImage& image, const std::string& dir, Evidence* ev) {
  if (dir.empty()) return;
  // The pipeline crops the box grown by 12.5% on each side (PIPELINE.md, phase 3).
  const double gx = 0.125 * (ev->box.x2 - ev->box.x1), gy = 0.125 * (ev->box.y2 - ev->box.y1);
  StatusOr<RgbImage> crop =
      CropNormalized(image, {ev->box.x1 - gx, ev->box.y1 - gy, ev->box.x2 + gx, ev->box.y2 + gy});
  ASSERT_TRUE(crop.ok());
  StatusOr<std::string> png = EncodePng(*crop);
  ASSERT_TRUE(png.ok());
  const std::string name = "crops/step" + std::to_string(ev->step) +
                           (ev->kind == EvidenceKind::kText ? "_text.png" : "_object.png");
  std::filesystem::create_directories(dir + "/crops");
  ASSERT_TRUE(WriteFileAtomically(dir + "/" + name, *png).ok());
  ev->crop_file = name;
}

Step MakeStep(int index, std::string statement, std::string reason, bool object, bool text,
              std::vector<Box> boxes, BoxSource source) {
  Step s;
  s.index = index;
  s.statement = std::move(statement);
  s.reason = std::move(reason);
  s.need_object = object;
  s.need_text = text;
  s.boxes = std::move(boxes);
  s.box_source = source;
  return s;
}

Evidence MakeEvidence(int step, Box box, EvidenceKind kind, std::string text, std::string engine,
                      std::optional<double> confidence, double ms) {
  Evidence e;
  e.step = step;
  e.box = box;
  e.kind = kind;
  e.text = std::move(text);
  e.engine = std::move(engine);
  e.confidence = confidence;
  e.ms = ms;
  return e;
}

// Boxes of the masthead, the date line and the photograph, normalized.
constexpr Box kMasthead{0.22, 0.10, 0.82, 0.20};
constexpr Box kDateline{0.06, 0.215, 0.97, 0.245};
constexpr Box kPhoto{0.27, 0.53, 0.69, 0.98};

std::vector<Step> NewspaperSteps() {
  std::vector<Step> steps;
  steps.push_back(MakeStep(1, "Read the newspaper's name in the masthead at the top.",
                           "The masthead carries the publisher's name.", false, true, {kMasthead},
                           BoxSource::kReasoning));
  steps.push_back(MakeStep(2, "Read the date line under the masthead.",
                           "It names the city and the date of the edition.", false, true,
                           {kDateline}, BoxSource::kReasoning));
  steps.push_back(MakeStep(3, "Identify what the large photograph shows.", "", true, false,
                           {kPhoto}, BoxSource::kGrounding));
  steps.back().warnings.push_back("step 3: no box in the reasoning output; used grounding");
  steps.push_back(MakeStep(4, "Combine the masthead text with the headline to name the paper.",
                           "Pure reasoning over the evidence above.", false, false, {},
                           BoxSource::kNone));
  return steps;
}

}  // namespace

Result NewspaperResult(const RgbImage& image, const std::string& crop_dir) {
  Result r;
  r.question = "What is the publisher name of the newspaper?";
  r.image_path = "images/llama_cpp_mtmd/test-1.jpeg";
  r.image_width = image.width;
  r.image_height = image.height;
  r.model = "models/qwen3-vl-2b-instruct";
  r.chain_of_thought =
      "The image is the front page of a printed newspaper. A newspaper's name is printed in "
      "the masthead across the top of the front page, so reading it answers the question.\n"
      "The date line under the masthead and the large photograph can confirm which paper and "
      "edition this is.";
  r.steps = NewspaperSteps();
  Evidence e1 = MakeEvidence(1, kMasthead, EvidenceKind::kText, "The New York Times", "tesseract",
                             0.91, 184.2);
  Evidence e2 = MakeEvidence(2, kDateline, EvidenceKind::kText,
                             "VOL. CXVIII..No. 40,721 NEW YORK, MONDAY, JULY 21, 1969 10 CENTS",
                             "tesseract", 0.78, 143.9);
  Evidence e3 = MakeEvidence(
      3, kPhoto, EvidenceKind::kObject,
      "A grainy black-and-white television image of an astronaut in a spacesuit standing on "
      "the lunar surface beside the leg of the landing module. It supports the statement: the "
      "photograph shows the first moon walk.",
      "vlm-caption", std::nullopt, 912.5);
  for (Evidence* e : {&e1, &e2, &e3}) {
    WriteCrop(image, crop_dir, e);
    r.evidence.push_back(*e);
  }
  r.answer = "The New York Times";
  r.explanation =
      "The masthead at the top of the front page reads \"The New York Times\". The date line "
      "(New York, Monday, July 21, 1969) and the moon-landing headline are consistent with it.";
  r.key_evidence.push_back(KeyEvidence{kMasthead, "Masthead: \"The New York Times\"",
                                       "The masthead names the newspaper that published it."});
  r.timings = {{"reasoning", 2140.3},
               {"grounding", 420.8},
               {"evidence", 1240.6},
               {"synthesis", 1630.0},
               {"total", 5431.7}};
  r.counts = Counts{4, 2, 1, 1, 2, 4, 612, 3, 2875};
  return r;
}

std::string MakeTempDir(const std::string& tag) {
  static std::atomic<int> counter{0};
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("corgi_report_" + tag + "_" + std::to_string(getpid()) + "_" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir.string();
}

std::string CheckTagBalance(const std::string& html) {
  static const char* const kVoid[] = {"area",  "base", "br",   "col",    "embed", "hr", "img",
                                      "input", "link", "meta", "source", "track", "wbr"};
  std::vector<std::string> open;
  for (size_t pos = html.find('<'); pos != std::string::npos; pos = html.find('<', pos + 1)) {
    if (html.compare(pos, 4, "<!--") == 0) {
      pos = html.find("-->", pos);
      if (pos == std::string::npos) return "unterminated comment";
      continue;
    }
    if (html.compare(pos, 2, "<!") == 0) continue;  // doctype
    const bool closing = html.compare(pos, 2, "</") == 0;
    size_t i = pos + (closing ? 2 : 1);
    std::string name;
    while (i < html.size() && (std::isalnum(static_cast<unsigned char>(html[i])) != 0)) {
      name += static_cast<char>(std::tolower(static_cast<unsigned char>(html[i++])));
    }
    if (name.empty()) return "stray '<' at offset " + std::to_string(pos);
    if (html.find('>', i) == std::string::npos) return "unterminated tag <" + name;
    if (closing) {
      if (open.empty() || open.back() != name) {
        return "</" + name + "> at offset " + std::to_string(pos) + " closes <" +
               (open.empty() ? std::string("nothing") : open.back()) + ">";
      }
      open.pop_back();
    } else if (std::find(std::begin(kVoid), std::end(kVoid), name) == std::end(kVoid)) {
      open.push_back(name);
      if (name == "style") {  // CSS may contain '<'-free text only, but skip it anyway
        pos = html.find("</style>", pos);
        if (pos == std::string::npos) return "unterminated <style>";
        --pos;
      }
    }
  }
  if (!open.empty()) return "<" + open.back() + "> never closed";
  return "";
}

std::string StripDataUris(const std::string& html) {
  std::string out;
  size_t pos = 0;
  while (true) {
    const size_t start = html.find(";base64,", pos);
    if (start == std::string::npos) break;
    const size_t payload = start + 8;
    size_t end = payload;
    while (end < html.size() && html[end] != '"') ++end;
    out.append(html, pos, payload - pos);
    pos = end;
  }
  out.append(html, pos, std::string::npos);
  return out;
}

}  // namespace corgi::pipeline::report_test
