// End to end: runs the built `corgi` binary (no shell) on replayed model outputs.
//   * batch: 20 items, killed with SIGKILL midway (after 7 items, and at a random moment),
//     a torn last line added, then rerun: exactly 20 lines, each id once, every item's
//     folder complete; a missing image fails its item and the batch goes on.
//   * ask: --json, --events, exit codes and error messages for bad input.
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>

#include "apps/cli/batch_e2e_test_util.h"
#include "apps/cli/batch_lock.h"

namespace corgi::cli::batch_e2e {
namespace {

TEST_F(E2eTest, BatchKilledMidwayResumesWithoutLossOrDuplicates) {
  std::string input = WriteInput(20), out = dir_.path() + "/out";
  ProcessResult killed =
      Corgi(BatchArgs(input, out), dir_.path(), {"CORGI_TEST_KILL_AFTER_ITEMS=7"});
  ASSERT_EQ(killed.signal, SIGKILL) << "exit " << killed.exit_code << "\n" << killed.err;
  std::vector<std::string> first = ResultIds(out + "/results.jsonl");
  ASSERT_EQ(first.size(), 7u);
  // A kill inside write(2) leaves a torn line; add one for an item not yet done.
  std::string torn = "{\"id\":\"q7\",\"image\":\"imgs/x.png\",\"question\":\"What is in";
  std::ofstream(out + "/results.jsonl", std::ios::app) << torn;

  ProcessResult resumed = Corgi(BatchArgs(input, out), dir_.path());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err << resumed.out;
  EXPECT_NE(resumed.err.find("partial line"), std::string::npos) << resumed.err;
  EXPECT_NE(resumed.err.find("[8/20] q7 ... done in"), std::string::npos)
      << resumed.err;  // stderr is no tty
  EXPECT_NE(resumed.out.find("20 items: 13 done, 0 failed, 7 skipped"), std::string::npos)
      << resumed.out;
  std::vector<std::string> ids = ResultIds(out + "/results.jsonl");
  ExpectExactlyOnce(ids, 20);
  EXPECT_TRUE(std::equal(first.begin(), first.end(), ids.begin()));  // earlier lines untouched

  for (const std::string& line_id : ids) {
    std::string item = out + "/items/" + line_id;
    EXPECT_TRUE(fs::exists(item + "/results.json")) << item;
    EXPECT_TRUE(fs::exists(item + "/trace.json")) << item;
  }
  std::string text = Slurp(out + "/results.jsonl");
  Json line = Json::parse(text.substr(0, text.find('\n')));
  EXPECT_EQ(line["answer"], "an object");
  EXPECT_EQ(line["explanation"], "The centre shows an object.");
  EXPECT_TRUE(line["error"].is_null());
  EXPECT_EQ(line["output_dir"], "items/q0");
  EXPECT_TRUE(line["timings"].contains("total"));

  // A third run has nothing to do and changes nothing.
  ProcessResult again = Corgi(BatchArgs(input, out), dir_.path());
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("0 done, 0 failed, 20 skipped"), std::string::npos) << again.out;
  EXPECT_EQ(Slurp(out + "/results.jsonl"), text);
}

TEST_F(E2eTest, BatchKilledAtAnyMomentResumes) {
  std::string input = WriteInput(20), out = dir_.path() + "/out";
  pid_t pid = Spawn(BatchArgs(input, out), {}, dir_.path());
  ASSERT_GT(pid, 0);
  // Kill as soon as a few lines are on disk (or give up waiting: the run may be done).
  for (int i = 0; i < 2000 && ResultIds(out + "/results.jsonl").size() < 3; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  ::kill(pid, SIGKILL);
  Wait(pid, dir_.path());
  ProcessResult resumed = Corgi(BatchArgs(input, out), dir_.path());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  ExpectExactlyOnce(ResultIds(out + "/results.jsonl"), 20);
}

TEST_F(E2eTest, MissingImageFailsOnlyItsItem) {
  std::string input = WriteInput(3), out = dir_.path() + "/out";
  WriteText(dir_.path() + "/broken.jpg", "\xff\xd8\xff\xe0 not really a jpeg");
  std::ofstream(input, std::ios::app) << "imgs/missing.png|Where is it?\nbroken.jpg|What is it?\n";
  ProcessResult run = Corgi(BatchArgs(input, out), dir_.path());
  EXPECT_EQ(run.exit_code, 1) << run.err;  // some item failed
  EXPECT_NE(run.out.find("5 items: 3 done, 2 failed, 0 skipped"), std::string::npos) << run.out;
  std::string text = Slurp(out + "/results.jsonl");
  std::vector<Json> lines;
  for (size_t pos = 0; pos < text.size(); pos = text.find('\n', pos) + 1)
    lines.push_back(Json::parse(text.substr(pos, text.find('\n', pos) - pos)));
  ASSERT_EQ(lines.size(), 5u);
  EXPECT_EQ(lines[3]["id"], "5");  // prototype line: id = line number
  EXPECT_NE(lines[3]["error"].get<std::string>().find("missing.png"), std::string::npos)
      << lines[3];
  EXPECT_TRUE(lines[3]["output_dir"].is_null());
  EXPECT_TRUE(lines[4]["error"].is_string());
  // --retry-failed runs only the failed two again (still failing).
  ProcessResult retry = Corgi({"batch", "--replay", replay_, "--config", config_, "--input", input,
                               "--out", out, "--retry-failed"},
                              dir_.path());
  EXPECT_NE(retry.out.find("0 done, 2 failed, 3 skipped"), std::string::npos) << retry.out;
  EXPECT_EQ(ResultIds(out + "/results.jsonl").size(), 5u);
}

TEST_F(E2eTest, BatchInputErrorsNameTheLine) {
  std::string input = dir_.path() + "/bad.jsonl";
  WriteText(input, "a.png|q\n{\"image\": \"b.png\",}\n");
  ProcessResult run = Corgi(BatchArgs(input, dir_.path() + "/out"), dir_.path());
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("bad.jsonl:2: not valid JSON"), std::string::npos) << run.err;
  EXPECT_FALSE(fs::exists(dir_.path() + "/out/results.jsonl"));
  ProcessResult usage = Corgi({"batch", "--replay", replay_, "--input", input}, dir_.path());
  EXPECT_EQ(usage.exit_code, 2);
  EXPECT_NE(usage.err.find("--input and --out are required"), std::string::npos) << usage.err;
}

// Issue 11, defect 7: a second run on the same --out is refused at once, naming the pid
// of the run that holds OUT/.lock, and touches nothing.
TEST_F(E2eTest, SecondRunOnTheSameOutIsRefused) {
  std::string input = WriteInput(2), out = dir_.path() + "/out";
  fs::create_directories(out);
  {
    StatusOr<OutputLock> held = OutputLock::Acquire(out);  // as a running batch holds it
    ASSERT_TRUE(held.ok()) << held.status().ToString();
    ProcessResult second = Corgi(BatchArgs(input, out), dir_.path());
    EXPECT_EQ(second.exit_code, 1) << second.err;
    EXPECT_NE(second.err.find("in use by another corgi batch (pid " + std::to_string(::getpid()) + ","),
              std::string::npos)
        << second.err;
    EXPECT_FALSE(fs::exists(out + "/results.jsonl"));
  }
  ProcessResult after = Corgi(BatchArgs(input, out), dir_.path());
  EXPECT_EQ(after.exit_code, 0) << after.err;
  ExpectExactlyOnce(ResultIds(out + "/results.jsonl"), 2);
}

// Issue 11, defect 7: every state a crash can leave between an item's folder and its
// results line — folders without a line (one with a stray file), a torn last line, a
// half-written staging folder — resumes to each item exactly once, each folder whole.
TEST_F(E2eTest, ResumeAfterACrashBetweenFolderAndLine) {
  std::string input = WriteInput(6), out = dir_.path() + "/out";
  ASSERT_EQ(Corgi(BatchArgs(input, out), dir_.path()).exit_code, 0);
  std::string text = Slurp(out + "/results.jsonl");
  std::vector<size_t> starts = {0};
  for (size_t p = text.find('\n'); p + 1 < text.size(); p = text.find('\n', p + 1)) starts.push_back(p + 1);
  ASSERT_EQ(starts.size(), 6u);
  // q4 and q5 have folders but no lines; q5's line is torn; q4's folder has a stray file.
  WriteText(out + "/results.jsonl", text.substr(0, starts[4]) + text.substr(starts[5], 40));
  WriteText(out + "/items/q4/stray.txt", "left by the run that died");
  fs::create_directories(out + "/.staging/new/crops");
  WriteText(out + "/.staging/new/results.json", "{\"half");

  ProcessResult resumed = Corgi(BatchArgs(input, out), dir_.path());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_NE(resumed.out.find("6 items: 2 done, 0 failed, 4 skipped"), std::string::npos) << resumed.out;
  ExpectExactlyOnce(ResultIds(out + "/results.jsonl"), 6);
  EXPECT_FALSE(fs::exists(out + "/items/q4/stray.txt"));
  EXPECT_FALSE(fs::exists(out + "/.staging"));
  for (int i = 0; i < 6; ++i) {
    const std::string item = out + "/items/q" + std::to_string(i);
    EXPECT_TRUE(fs::exists(item + "/results.json")) << item;
    EXPECT_EQ(Slurp(item + "/.corgi-item-id"), "q" + std::to_string(i));
  }
}

// Issue 11, defect 8: ids whose folder names used to collide get a folder each, and an
// older folder recorded for another id is never overwritten.
TEST_F(E2eTest, IdsThatSanitizeAlikeGetTheirOwnFolders) {
  std::string input = WriteInput(1), out = dir_.path() + "/out";
  const std::string image = kImages + "/horses.png";
  std::string text;
  for (const char* id : {"a/b", "a_b", "a b"})
    text += Json{{"id", id}, {"image", image}, {"question", "What?"}}.dump() + "\n";
  WriteText(input, text);
  ProcessResult run = Corgi(BatchArgs(input, out), dir_.path());
  ASSERT_EQ(run.exit_code, 0) << run.err;
  std::set<std::string> dirs;
  for (const Json& line : ResultLines(out + "/results.jsonl")) {
    const std::string dir = line["output_dir"];
    dirs.insert(dir);
    EXPECT_EQ(Slurp(out + "/" + dir + "/.corgi-item-id"), line["id"].get<std::string>()) << dir;
  }
  EXPECT_EQ(dirs.size(), 3u);
  EXPECT_TRUE(dirs.count("items/a_b"));

  // An older corgi wrote id "x/y" to items/x_y (no marker); the id "x_y" must not take it.
  std::string out2 = dir_.path() + "/out2";
  fs::create_directories(out2 + "/items/x_y");
  WriteText(out2 + "/items/x_y/results.json", "{\"old\": true}");
  WriteText(out2 + "/results.jsonl",
            Json{{"id", "x/y"}, {"error", nullptr}, {"output_dir", "items/x_y"}}.dump() + "\n");
  WriteText(input, Json{{"id", "x_y"}, {"image", image}, {"question", "What?"}}.dump() + "\n");
  ProcessResult second = Corgi(BatchArgs(input, out2), dir_.path());
  ASSERT_EQ(second.exit_code, 0) << second.err;
  std::vector<Json> lines = ResultLines(out2 + "/results.jsonl");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1]["output_dir"], "items/x_y-2");
  EXPECT_EQ(Slurp(out2 + "/items/x_y/results.json"), "{\"old\": true}");
}

// Issue 11, defect 10: a whitespace-only question rejected every item of the batch; now it
// is that item's error and the others run.
TEST_F(E2eTest, EmptyQuestionFailsOnlyItsItem) {
  std::string input = WriteInput(2), out = dir_.path() + "/out";
  std::ofstream(input, std::ios::app) << Json{{"id", "blank"}, {"image", "imgs/x.png"}, {"question", " \t "}}.dump()
                                      << "\nimgs/x.png|   \n";
  ProcessResult run = Corgi(BatchArgs(input, out), dir_.path());
  EXPECT_EQ(run.exit_code, 1) << run.err;
  EXPECT_NE(run.out.find("4 items: 2 done, 2 failed, 0 skipped"), std::string::npos) << run.out << run.err;
  std::vector<Json> lines = ResultLines(out + "/results.jsonl");
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[2]["id"], "blank");
  EXPECT_NE(lines[2]["error"].get<std::string>().find("\"question\" is empty"), std::string::npos) << lines[2];
  EXPECT_TRUE(lines[2]["output_dir"].is_null());
  EXPECT_NE(lines[3]["error"].get<std::string>().find("the question after '|' is empty"), std::string::npos)
      << lines[3];
}

TEST_F(E2eTest, AskJsonAndEvents) {
  std::string image = kImages + "/horses.png", out = dir_.path() + "/ask";
  ProcessResult json = Corgi({"ask", "--replay", replay_, "--config", config_, "--image", image,
                              "--question", "What?", "--out", out, "--json"},
                             dir_.path());
  ASSERT_EQ(json.exit_code, 0) << json.err;
  Json result = Json::parse(json.out, nullptr, false);
  ASSERT_TRUE(result.is_object()) << json.out;
  EXPECT_EQ(result["answer"], "an object");
  EXPECT_TRUE(fs::exists(out + "/results.json"));
  EXPECT_TRUE(fs::exists(out + "/annotated.png"));
  EXPECT_FALSE(fs::exists(out + "/report.html"));  // outputs.report: false in the config

  ProcessResult events =
      Corgi({"ask", "--replay", replay_, "--config", config_, "--image", image, "--question",
             "What?", "--out", out, "--events", "--no-visualization"},
            dir_.path());
  ASSERT_EQ(events.exit_code, 0) << events.err;
  std::vector<std::string> types;
  for (size_t pos = 0; pos < events.out.size(); pos = events.out.find('\n', pos) + 1) {
    Json e = Json::parse(events.out.substr(pos, events.out.find('\n', pos) - pos), nullptr, false);
    ASSERT_TRUE(e.is_object() && e.contains("event") && e["data"].is_object()) << events.out;
    types.push_back(e["event"]);
  }
  ASSERT_GE(types.size(), 4u);
  EXPECT_EQ(types.front(), "pipeline_start");
  EXPECT_EQ(types.back(), "pipeline_end");
  EXPECT_NE(std::find(types.begin(), types.end(), "answer"), types.end());

  ProcessResult human = Corgi({"ask", "--replay", replay_, "--config", config_, "--image", image,
                               "--question", "What?", "--out", out},
                              dir_.path());
  ASSERT_EQ(human.exit_code, 0) << human.err;
  EXPECT_NE(human.out.find("Answer:      an object"), std::string::npos) << human.out;
  EXPECT_NE(human.out.find("S1 [object] There is an object in the centre"), std::string::npos)
      << human.out;
}

TEST_F(E2eTest, AskErrors) {
  std::string image = kImages + "/horses.png";
  WriteText(dir_.path() + "/broken.png", std::string("\x89PNG\r\n\x1a\n", 8) + "truncated");
  ProcessResult corrupt = Corgi({"ask", "--replay", replay_, "--image", dir_.path() + "/broken.png",
                                 "--question", "q", "--out", dir_.path() + "/o"},
                                dir_.path());
  EXPECT_EQ(corrupt.exit_code, 1);
  EXPECT_NE(corrupt.err.find("error: image:"), std::string::npos) << corrupt.err;
  EXPECT_NE(corrupt.err.find("broken.png"), std::string::npos) << corrupt.err;

  ProcessResult no_question = Corgi({"ask", "--replay", replay_, "--image", image}, dir_.path());
  EXPECT_EQ(no_question.exit_code, 2);
  ProcessResult no_model = Corgi({"ask", "--image", image, "--question", "q"}, dir_.path());
  EXPECT_EQ(no_model.exit_code, 2);
  EXPECT_NE(no_model.err.find("--model is required"), std::string::npos) << no_model.err;

  WriteText(dir_.path() + "/typo.yaml", "ocr:\n  enigne: vlm\n");
  ProcessResult typo = Corgi({"ask", "--replay", replay_, "--config", dir_.path() + "/typo.yaml",
                              "--image", image, "--question", "q"},
                             dir_.path());
  EXPECT_EQ(typo.exit_code, 2);
  EXPECT_NE(typo.err.find("typo.yaml:2:3: unknown key 'ocr.enigne' (did you mean 'ocr.engine'?)"),
            std::string::npos)
      << typo.err;
  ProcessResult steps =
      Corgi({"ask", "--replay", replay_, "--max-steps", "0", "--image", image, "--question", "q"},
            dir_.path());
  EXPECT_EQ(steps.exit_code, 2);
  EXPECT_NE(steps.err.find("max_steps: must be in [1, 32], got 0"), std::string::npos) << steps.err;

  // An unreadable synthesis is the query's failure: exit 1, the error printed, files written.
  Json broken = Json::parse(ReplayJson());
  broken["completions"][2]["output"] = "{\"explanation\": \"I cannot answer that.\"}";
  WriteText(dir_.path() + "/broken_replay.json", broken.dump());
  ProcessResult failed =
      Corgi({"ask", "--replay", dir_.path() + "/broken_replay.json", "--config", config_, "--image",
             image, "--question", "q", "--out", dir_.path() + "/failed"},
            dir_.path());
  EXPECT_EQ(failed.exit_code, 1) << failed.out;
  EXPECT_NE(failed.err.find("error:"), std::string::npos) << failed.err;
  EXPECT_TRUE(fs::exists(dir_.path() + "/failed/results.json"));
}

}  // namespace
}  // namespace corgi::cli::batch_e2e
