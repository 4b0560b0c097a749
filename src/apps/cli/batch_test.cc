// Tests of the batch helpers: input formats and their errors, results.jsonl resume and
// repair, the progress display.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "apps/cli/batch_input.h"
#include "apps/cli/batch_progress.h"
#include "apps/cli/batch_results.h"
#include "corgi/core/mapped_file.h"
#include "io/io_test_util.h"

namespace corgi::cli {
namespace {

namespace fs = std::filesystem;
using io_test::TempDir;

void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string ErrorOf(const std::string& text) {
  StatusOr<std::vector<BatchItem>> items = ParseBatchInput(text, "in.jsonl", "/data");
  return items.ok() ? "" : items.status().message();
}

TEST(BatchInputTest, JsonLines) {
  StatusOr<std::vector<BatchItem>> items = ParseBatchInput(
      "{\"id\": \"a\", \"image\": \"x/1.jpg\", \"question\": \"What?\"}\n"
      "\n"
      "# a comment\n"
      "{\"id\": 7, \"image\": \"/abs/2.png\", \"question\": \" Why? \", \"answer\": \"ignored\"}\n"
      "{\"image\": \"3.jpg\", \"question\": \"Who?\"}",  // no trailing newline, no id
      "in.jsonl", "/data");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 3u);
  EXPECT_EQ((*items)[0].id, "a");
  EXPECT_EQ((*items)[0].image, "x/1.jpg");
  EXPECT_EQ((*items)[0].image_path, "/data/x/1.jpg");
  EXPECT_EQ((*items)[0].question, "What?");
  EXPECT_EQ((*items)[0].line, 1);
  EXPECT_EQ((*items)[1].id, "7");
  EXPECT_EQ((*items)[1].image_path, "/abs/2.png");
  EXPECT_EQ((*items)[1].question, "Why?");
  EXPECT_EQ((*items)[2].id, "5");  // the line number
  EXPECT_EQ((*items)[2].line, 5);
}

TEST(BatchInputTest, PrototypeLines) {
  StatusOr<std::vector<BatchItem>> items = ParseBatchInput(
      "# image|question\n"
      "cat.jpg|What color is the cat?\r\n"
      "\n"
      "  sign.png | What does it say | exactly?  \n",
      "list.txt", "dir");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 2u);
  EXPECT_EQ((*items)[0].id, "2");
  EXPECT_EQ((*items)[0].image_path, "dir/cat.jpg");
  EXPECT_EQ((*items)[0].question, "What color is the cat?");
  EXPECT_EQ((*items)[1].id, "4");
  EXPECT_EQ((*items)[1].image, "sign.png");
  EXPECT_EQ((*items)[1].question, "What does it say | exactly?");  // split at the first '|'
}

TEST(BatchInputTest, BadLinesNameTheLine) {
  EXPECT_NE(ErrorOf("a.jpg|q\n{\"image\": \"b.jpg\"}\n").find("in.jsonl:2: missing \"question\""),
            std::string::npos);
  EXPECT_NE(ErrorOf("\n\n{\"image\": 5, \"question\": \"q\"}\n")
                .find("in.jsonl:3: \"image\" must be a string"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf("{\"image\": \"a\", \"question\": \"q\",}\n").find("in.jsonl:1: not valid JSON"),
      std::string::npos);
  EXPECT_NE(ErrorOf("[1, 2]\n").find("in.jsonl:1: expected 'image|question' or a JSON object"),
            std::string::npos);
  EXPECT_NE(ErrorOf("just a line\n").find("in.jsonl:1: expected 'image|question'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("a.jpg|   \n").find("in.jsonl:1: the question after '|' is empty"),
            std::string::npos);
  EXPECT_NE(ErrorOf("|q\n").find("in.jsonl:1: the image path before '|' is empty"),
            std::string::npos);
  EXPECT_NE(ErrorOf("{\"id\": [1], \"image\": \"a\", \"question\": \"q\"}\n")
                .find("\"id\" must be a string or an integer"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf("{\"id\": \"\", \"image\": \"a\", \"question\": \"q\"}\n").find("\"id\" is empty"),
      std::string::npos);
}

TEST(BatchInputTest, DuplicateIdsAndFolders) {
  std::string dup = ErrorOf(
      "{\"id\": \"x\", \"image\": \"a\", \"question\": \"q\"}\n"
      "{\"id\": \"x\", \"image\": \"b\", \"question\": \"q\"}\n");
  EXPECT_NE(dup.find("in.jsonl:2: id 'x' is already used on line 1"), std::string::npos) << dup;
  // A JSON id "3" and the prototype line 3 collide too.
  std::string mixed =
      ErrorOf("{\"id\": \"3\", \"image\": \"a\", \"question\": \"q\"}\n\na.jpg|q\n");
  EXPECT_NE(mixed.find("in.jsonl:3: id '3' is already used on line 1"), std::string::npos) << mixed;
  std::string folder = ErrorOf(
      "{\"id\": \"a/b\", \"image\": \"a\", \"question\": \"q\"}\n"
      "{\"id\": \"a_b\", \"image\": \"b\", \"question\": \"q\"}\n");
  EXPECT_NE(folder.find("same folder items/a_b"), std::string::npos) << folder;
}

TEST(BatchInputTest, SafeDirName) {
  EXPECT_EQ(SafeDirName("q-1.a_b"), "q-1.a_b");
  EXPECT_EQ(SafeDirName("coco/val 12"), "coco_val_12");
  EXPECT_EQ(SafeDirName(".."), "_..");
  EXPECT_EQ(SafeDirName("."), "_.");
  EXPECT_EQ(SafeDirName(""), "_");
  EXPECT_EQ(SafeDirName("\xc3\xa9t\xc3\xa9"), "__t__");
  EXPECT_EQ(SafeDirName(std::string(300, 'x')).size(), 100u);
}

TEST(BatchInputTest, LoadResolvesAgainstTheFilesDirectory) {
  TempDir dir;
  WriteText(dir.path() + "/in.txt", "img/a.jpg|q\n/abs.jpg|q\n");
  StatusOr<std::vector<BatchItem>> items = LoadBatchInput(dir.path() + "/in.txt");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  EXPECT_EQ((*items)[0].image_path, dir.path() + "/img/a.jpg");
  EXPECT_EQ((*items)[1].image_path, "/abs.jpg");
  EXPECT_FALSE(LoadBatchInput(dir.path() + "/missing.txt").ok());
}

BatchLine Line(const std::string& id, std::optional<std::string> error = std::nullopt) {
  BatchLine line;
  line.id = id;
  line.image = id + ".jpg";
  line.question = "q";
  line.answer = "a \"quoted\" answer\n";
  line.error = std::move(error);
  line.timings = {{"reasoning", 1.5}, {"total", 2.0}};
  if (!line.error) line.output_dir = "items/" + id;
  return line;
}

TEST(BatchResultsTest, LineFormat) {
  nlohmann::json j = nlohmann::json::parse(FormatBatchLine(Line("q1")));
  EXPECT_EQ(j["id"], "q1");
  EXPECT_EQ(j["image"], "q1.jpg");
  EXPECT_EQ(j["answer"], "a \"quoted\" answer\n");
  EXPECT_TRUE(j["error"].is_null());
  EXPECT_EQ(j["timings"]["reasoning"], 1.5);
  EXPECT_EQ(j["output_dir"], "items/q1");
  for (const char* key :
       {"id", "image", "question", "answer", "explanation", "error", "timings", "output_dir"})
    EXPECT_TRUE(j.contains(key)) << key;
  nlohmann::json failed = nlohmann::json::parse(FormatBatchLine(Line("q2", "boom")));
  EXPECT_EQ(failed["error"], "boom");
  EXPECT_TRUE(failed["output_dir"].is_null());
  EXPECT_EQ(FormatBatchLine(Line("q1")).find('\n'), std::string::npos);  // one line, always
  BatchLine bad = Line("q3");
  bad.answer = "\xff\xfe";  // invalid UTF-8 from a model must not break the file
  EXPECT_TRUE(nlohmann::json::accept(FormatBatchLine(bad)));
}

TEST(BatchResultsTest, AppendAndResume) {
  TempDir dir;
  const std::string path = dir.path() + "/results.jsonl";
  StatusOr<ResultsState> empty = LoadAndRepairResults(path);
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->done_ids.empty());
  {
    StatusOr<ResultsWriter> w = ResultsWriter::Open(path);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_TRUE(w->Append(Line("a")).ok());
    ASSERT_TRUE(w->Append(Line("b", "failed: x")).ok());
  }
  StatusOr<ResultsState> s = LoadAndRepairResults(path);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->done_ids, (std::set<std::string>{"a", "b"}));
  EXPECT_EQ(s->failed_ids, (std::set<std::string>{"b"}));
  EXPECT_EQ(s->lines, 2);
  EXPECT_FALSE(s->truncated_partial_line);
}

TEST(BatchResultsTest, PartialLastLineIsCutOff) {
  TempDir dir;
  const std::string path = dir.path() + "/results.jsonl";
  std::string good = FormatBatchLine(Line("a")) + "\n";
  std::string next = FormatBatchLine(Line("b"));
  // Every prefix of the next line, as a kill during write(2) could leave — including the
  // whole line without its newline.
  for (size_t cut = 1; cut <= next.size(); cut += 7) {
    WriteText(path, good + next.substr(0, cut));
    StatusOr<ResultsState> s = LoadAndRepairResults(path);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    EXPECT_EQ(s->done_ids, (std::set<std::string>{"a"})) << cut;
    EXPECT_TRUE(s->truncated_partial_line);
    StatusOr<std::string> after = ReadFileToString(path);
    ASSERT_TRUE(after.ok());
    EXPECT_EQ(*after, good) << "cut at " << cut;
  }
  // Appending after the repair yields a clean file.
  StatusOr<ResultsWriter> w = ResultsWriter::Open(path);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w->Append(Line("b")).ok());
  StatusOr<ResultsState> s = LoadAndRepairResults(path);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->lines, 2);
}

TEST(BatchResultsTest, BadLineInTheMiddleIsAnError) {
  TempDir dir;
  const std::string path = dir.path() + "/results.jsonl";
  std::string text =
      FormatBatchLine(Line("a")) + "\nnot json\n" + FormatBatchLine(Line("b")) + "\n";
  WriteText(path, text);
  StatusOr<ResultsState> s = LoadAndRepairResults(path);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(s.status().message().find("results.jsonl:2:"), std::string::npos)
      << s.status().message();
  EXPECT_EQ(*ReadFileToString(path), text);  // left alone
}

TEST(BatchResultsTest, DropFailedResults) {
  TempDir dir;
  const std::string path = dir.path() + "/results.jsonl";
  WriteText(path, FormatBatchLine(Line("a")) + "\n" + FormatBatchLine(Line("b", "x")) + "\n" +
                      FormatBatchLine(Line("c")) + "\n");
  StatusOr<int64_t> dropped = DropFailedResults(path);
  ASSERT_TRUE(dropped.ok()) << dropped.status().ToString();
  EXPECT_EQ(*dropped, 1);
  StatusOr<ResultsState> s = LoadAndRepairResults(path);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->done_ids, (std::set<std::string>{"a", "c"}));
  EXPECT_TRUE(s->failed_ids.empty());
}

TEST(BatchProgressTest, FormatDuration) {
  EXPECT_EQ(FormatDuration(0.25), "0.25 s");
  EXPECT_EQ(FormatDuration(1.24), "1.2 s");
  EXPECT_EQ(FormatDuration(59.9), "59.9 s");
  EXPECT_EQ(FormatDuration(185), "3:05");
  EXPECT_EQ(FormatDuration(3729), "1:02:09");
}

TEST(BatchProgressTest, Bar) {
  EXPECT_EQ(RenderProgressBar(5, 20, 30, 10, "q5"), "[##--------] 5/20  25%  ETA 30.0 s  q5");
  EXPECT_EQ(RenderProgressBar(0, 20, -1, 4, ""), "[----] 0/20   0%  ETA ?");
  EXPECT_EQ(RenderProgressBar(20, 20, 0, 4, ""), "[####] 20/20 100%  ETA 0.00 s");
  std::string long_id(50, 'z');
  EXPECT_NE(RenderProgressBar(1, 2, 1, 4, long_id).find("..." + std::string(29, 'z')),
            std::string::npos);
}

TEST(BatchProgressTest, PlainLinesWhenNotATerminal) {
  char* buffer = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&buffer, &size);
  BatchProgress progress(20, 2, /*interactive=*/false, out);
  progress.Begin("q3");
  progress.End("q3", 1.2, std::nullopt);
  progress.Begin("q4");
  progress.End("q4", 0.01, std::string("image: NotFound"));
  progress.Close();
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  EXPECT_EQ(text, "[3/20] q3 ... done in 1.2 s\n[4/20] q4 ... failed in 0.01 s: image: NotFound\n");
}

}  // namespace
}  // namespace corgi::cli
