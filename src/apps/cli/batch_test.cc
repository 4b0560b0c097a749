// Tests of the batch helpers: input formats and their errors, results.jsonl resume and
// repair, the progress display.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "apps/cli/batch_input.h"
#include "apps/cli/batch_item_dir.h"
#include "apps/cli/batch_lock.h"
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

// The problem of the only item of `text` (a line that fails only its item).
std::string ItemProblemOf(const std::string& text) {
  StatusOr<std::vector<BatchItem>> items = ParseBatchInput(text, "in.jsonl", "/data");
  EXPECT_TRUE(items.ok()) << items.status().ToString();
  return items.ok() && !items->empty() ? items->back().problem : "(rejected)";
}

TEST(BatchInputTest, BadLinesNameTheLine) {
  EXPECT_NE(
      ErrorOf("{\"image\": \"a\", \"question\": \"q\",}\n").find("in.jsonl:1: not valid JSON"),
      std::string::npos);
  EXPECT_NE(
      ErrorOf("{\"image\": \"a\", \"question\": \"q\",}\n").find("in.jsonl:1: not valid JSON"),
      std::string::npos);
  EXPECT_NE(ErrorOf("[1, 2]\n").find("in.jsonl:1: expected 'image|question' or a JSON object"),
            std::string::npos);
  EXPECT_NE(ErrorOf("just a line\n").find("in.jsonl:1: expected 'image|question'"),
            std::string::npos);
  EXPECT_NE(ErrorOf("{\"id\": [1], \"image\": \"a\", \"question\": \"q\"}\n")
                .find("\"id\" must be a string or an integer"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf("{\"id\": \"\", \"image\": \"a\", \"question\": \"q\"}\n").find("\"id\" is empty"),
      std::string::npos);
}

// Issue 11, defect 10: one empty question rejected the whole batch. A line whose id is
// known but whose image or question is missing or empty now fails only its own item.
TEST(BatchInputTest, BadFieldsFailOnlyTheirItem) {
  EXPECT_EQ(ItemProblemOf("a.jpg|q\n{\"image\": \"b.jpg\"}\n"), "in.jsonl:2: missing \"question\"");
  EXPECT_EQ(ItemProblemOf("\n\n{\"image\": 5, \"question\": \"q\"}\n"),
            "in.jsonl:3: \"image\" must be a string, got number");
  EXPECT_EQ(ItemProblemOf("{\"id\": \"w\", \"image\": \"a\", \"question\": \" \\t \"}\n"),
            "in.jsonl:1: \"question\" is empty");
  EXPECT_EQ(ItemProblemOf("a.jpg|   \n"), "in.jsonl:1: the question after '|' is empty");
  EXPECT_EQ(ItemProblemOf("|q\n"), "in.jsonl:1: the image path before '|' is empty");
  StatusOr<std::vector<BatchItem>> items = ParseBatchInput(
      "a.jpg|What?\n{\"id\": \"blank\", \"image\": \"b.jpg\", \"question\": \"   \"}\nc.jpg|Why?\n",
      "in.jsonl", "");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  ASSERT_EQ(items->size(), 3u);
  EXPECT_EQ((*items)[0].problem, "");
  EXPECT_EQ((*items)[1].id, "blank");
  EXPECT_EQ((*items)[1].problem, "in.jsonl:2: \"question\" is empty");
  EXPECT_EQ((*items)[2].problem, "");
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
  // Issue 11, defect 8: "a/b" and "a_b" both became items/a_b; now they get two folders.
  StatusOr<std::vector<BatchItem>> items = ParseBatchInput(
      "{\"id\": \"a/b\", \"image\": \"a\", \"question\": \"q\"}\n"
      "{\"id\": \"a_b\", \"image\": \"b\", \"question\": \"q\"}\n",
      "in.jsonl", "");
  ASSERT_TRUE(items.ok()) << items.status().ToString();
  EXPECT_EQ((*items)[1].dir_name, "a_b");
  EXPECT_NE((*items)[0].dir_name, (*items)[1].dir_name);
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

TEST(BatchInputTest, ItemDirNameIsOneToOne) {
  // Unchanged ids keep their name; changed ones get "-" and 8 hex digits of their hash.
  EXPECT_EQ(ItemDirName("q-1.a_b"), "q-1.a_b");
  const std::string changed = ItemDirName("coco/val 12");
  EXPECT_EQ(changed.substr(0, 12), "coco_val_12-");
  EXPECT_EQ(changed.size(), 20u);
  EXPECT_EQ(changed.find_first_not_of("0123456789abcdef", 12), std::string::npos) << changed;
  EXPECT_EQ(ItemDirName("coco/val 12"), changed);  // stable
  EXPECT_EQ(ItemDirName("..").substr(0, 4), "_..-");
  EXPECT_EQ(ItemDirName(".").substr(0, 3), "_.-");
  EXPECT_EQ(ItemDirName("\xc3\xa9t\xc3\xa9").substr(0, 6), "__t__-");
  EXPECT_EQ(ItemDirName(std::string(300, 'x')).size(), 100u);
  EXPECT_NE(ItemDirName(std::string(300, 'x')), ItemDirName(std::string(301, 'x')));
  // The ids that used to collide.
  for (const char* a : {"a/b", "a b", "a\\b", "a:b"}) EXPECT_NE(ItemDirName(a), ItemDirName("a_b")) << a;
  EXPECT_NE(ItemDirName("a/b"), ItemDirName("a b"));
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

// Issue 11, defect 7: two runs on one --out wrote every item twice. The second run is
// refused at once, naming the holder; the lock dies with its process.
TEST(BatchLockTest, SecondHolderIsRefusedWithThePid) {
  TempDir dir;
  {
    StatusOr<OutputLock> first = OutputLock::Acquire(dir.path());
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    EXPECT_EQ(*ReadFileToString(dir.path() + "/.lock"), std::to_string(::getpid()) + "\n");
    StatusOr<OutputLock> second = OutputLock::Acquire(dir.path());
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(second.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_NE(second.status().message().find("in use by another corgi batch (pid " + std::to_string(::getpid())),
              std::string::npos)
        << second.status().message();
  }
  EXPECT_TRUE(OutputLock::Acquire(dir.path()).ok());  // released with its owner
}

TEST(BatchLockTest, AKilledHolderLeavesNoLock) {
  TempDir dir;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::alarm(30);  // never outlives a test that went wrong
    StatusOr<OutputLock> lock = OutputLock::Acquire(dir.path());
    char c = lock.ok() ? 'y' : 'n';
    (void)!::write(ready[1], &c, 1);
    for (;;) ::pause();  // holds the lock until killed
  }
  char c = 0;
  const bool told = ::read(ready[0], &c, 1) == 1;
  StatusOr<OutputLock> refused = OutputLock::Acquire(dir.path());
  ::kill(child, SIGKILL);  // before any assertion can return
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  ASSERT_TRUE(told && c == 'y');
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("(pid " + std::to_string(child) + ","), std::string::npos)
      << refused.status().message();
  StatusOr<OutputLock> after = OutputLock::Acquire(dir.path());
  EXPECT_TRUE(after.ok()) << after.status().ToString();
}

void MakeItemFolder(const std::string& out, const std::string& name, const std::string* marker_id) {
  fs::create_directories(out + "/items/" + name);
  WriteText(out + "/items/" + name + "/results.json", "{}");
  if (marker_id != nullptr) WriteText(out + "/items/" + name + "/" + kItemIdFile, *marker_id);
}

// Issue 11, defect 8: a folder already on disk (or recorded in results.jsonl) for another
// id is never reused; the item takes the next free name.
TEST(BatchItemDirTest, ChooseSkipsFoldersOfOtherIds) {
  TempDir dir;
  const std::string out = dir.path();
  std::map<std::string, std::string> recorded;
  EXPECT_EQ(*ChooseItemDir(out, "x", "x", recorded), "items/x");  // free
  const std::string other = "x/", self = "x";
  MakeItemFolder(out, "x", &other);
  EXPECT_EQ(*ChooseItemDir(out, "x", "x", recorded), "items/x-2");  // marked by another id
  MakeItemFolder(out, "x-2", &self);
  EXPECT_EQ(*ChooseItemDir(out, "x", "x", recorded), "items/x-2");  // its own leftover
  recorded["items/y"] = "y?";  // a finished line of another id, folder of an older corgi
  MakeItemFolder(out, "y", nullptr);
  EXPECT_EQ(*ChooseItemDir(out, "y", "y", recorded), "items/y-2");
  MakeItemFolder(out, "z", nullptr);  // unmarked and unrecorded: a crashed run's leftover
  EXPECT_EQ(*ChooseItemDir(out, "z", "z", recorded), "items/z");
}

// Issue 11, defect 7: a crash between an item's folder and its results line. The rerun
// replaces the folder as a whole (no file of the old one survives), and the staging
// folder a crash inside the write leaves is cleared.
TEST(BatchItemDirTest, WriteReplacesTheFolderAtomically) {
  TempDir dir;
  const std::string out = dir.path();
  const std::string id = "q1";
  MakeItemFolder(out, "q1", &id);
  WriteText(out + "/items/q1/stale.txt", "from the run that died");
  fs::create_directories(out + "/.staging/new/crops");  // a crash inside a write
  ASSERT_TRUE(ClearStaging(out).ok());
  EXPECT_FALSE(fs::exists(out + "/.staging"));
  Status w = WriteItemDir(out, "items/q1", id, /*slot=*/0, [](const std::string& d) {
    WriteText(d + "/results.json", "{\"answer\": 1}");
    return Status::Ok();
  });
  ASSERT_TRUE(w.ok()) << w.ToString();
  EXPECT_FALSE(fs::exists(out + "/items/q1/stale.txt"));
  EXPECT_EQ(*ReadFileToString(out + "/items/q1/results.json"), "{\"answer\": 1}");
  EXPECT_EQ(*ReadFileToString(out + "/items/q1/" + kItemIdFile), "q1");
  EXPECT_FALSE(fs::exists(out + "/.staging/0"));

  // A failed write installs nothing and removes the older folder of the id.
  Status failed = WriteItemDir(out, "items/q1", id, /*slot=*/1, [](const std::string& d) {
    WriteText(d + "/results.json", "half");
    return IoError("disk full");
  });
  EXPECT_FALSE(failed.ok());
  EXPECT_FALSE(fs::exists(out + "/items/q1"));
  EXPECT_FALSE(fs::exists(out + "/.staging/1"));
}

TEST(BatchResultsTest, RecordsWhichIdOwnsEachFolder) {
  TempDir dir;
  const std::string path = dir.path() + "/results.jsonl";
  WriteText(path, FormatBatchLine(Line("a")) + "\n" + FormatBatchLine(Line("b", "x")) + "\n");
  StatusOr<ResultsState> s = LoadAndRepairResults(path);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->dir_ids, (std::map<std::string, std::string>{{"items/a", "a"}}));
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

// --parallel 3: the bar names the item started last and how many others run; the ETA
// divides the items left among the workers; plain lines come as items end.
TEST(BatchProgressTest, SeveralItemsAtOnce) {
  char* buffer = nullptr;
  size_t size = 0;
  FILE* out = open_memstream(&buffer, &size);
  BatchProgress bar(10, 0, /*interactive=*/true, out, /*workers=*/3);
  bar.Begin("q0");
  bar.Begin("q1");
  bar.Begin("q2");
  bar.End("q1", 6.0, std::nullopt);  // 9 left, 3 at a time of 6 s each: 18 s
  bar.Close();
  BatchProgress plain(10, 0, /*interactive=*/false, out, /*workers=*/3);
  plain.Begin("q0");
  plain.Begin("q1");
  plain.End("q1", 2.0, std::nullopt);
  plain.End("q0", 3.0, std::nullopt);
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  EXPECT_NE(text.find("0/10   0%  ETA ?  q2 +2"), std::string::npos) << text;
  EXPECT_NE(text.find("1/10  10%  ETA 18.0 s  q2 +1"), std::string::npos) << text;
  EXPECT_NE(text.find("[1/10] q1 ... done in 2.0 s\n[2/10] q0 ... done in 3.0 s\n"), std::string::npos)
      << text;
}

}  // namespace
}  // namespace corgi::cli
