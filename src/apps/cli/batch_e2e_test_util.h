// Shared by the end-to-end tests of `corgi batch` (batch_e2e_test.cc,
// batch_parallel_e2e_test.cc): spawning the built binary (no shell), a replay file for
// one query, an input of N items over the sample images, and readers of results.jsonl.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "corgi/core/mapped_file.h"
#include "io/io_test_util.h"

extern char** environ;

namespace corgi::cli::batch_e2e {

namespace fs = std::filesystem;
using io_test::TempDir;
using Json = nlohmann::json;

inline const std::string kCorgi = std::string(CORGI_BINARY_DIR) + "/src/apps/corgi";
inline const std::string kImages = std::string(CORGI_SHARED_DATA) + "/images/qwen3_vl_jax_256";

inline std::string Slurp(const std::string& path) {
  StatusOr<std::string> text = ReadFileToString(path);
  return text.ok() ? *text : "";
}

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Starts corgi with `args`, stdout/stderr into files in `io_dir`, `env` added to ours.
inline pid_t Spawn(const std::vector<std::string>& args, const std::vector<std::string>& env,
                   const std::string& io_dir) {
  std::vector<std::string> argv_s = {kCorgi};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_s(env);
  for (char** e = environ; *e != nullptr; ++e) env_s.emplace_back(*e);
  std::vector<char*> envp;
  for (std::string& e : env_s) envp.push_back(e.data());
  envp.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  std::string out = io_dir + "/stdout.txt", err = io_dir + "/stderr.txt";
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, kCorgi.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal
  int signal = 0;
  std::string out, err;
};

inline ProcessResult Wait(pid_t pid, const std::string& io_dir) {
  ProcessResult run;
  int status = 0;
  if (pid > 0 && ::waitpid(pid, &status, 0) == pid) {
    if (WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) run.signal = WTERMSIG(status);
  }
  run.out = Slurp(io_dir + "/stdout.txt");
  run.err = Slurp(io_dir + "/stderr.txt");
  return run;
}

inline ProcessResult Corgi(const std::vector<std::string>& args, const std::string& io_dir,
                           const std::vector<std::string>& env = {}) {
  return Wait(Spawn(args, env, io_dir), io_dir);
}

// Recorded completions for one query: a reasoning with an object step (with a box) and a
// pure reasoning step, the caption of the object crop, and the synthesis.
inline std::string ReplayJson() {
  std::string reasoning =
      "<THINKING>Look at the picture, then conclude.</THINKING>\n<STRUCTURED_STEPS>"
      "{\"steps\": [{\"index\": 1, \"statement\": \"There is an object in the centre\", "
      "\"need_object_captioning\": true, \"need_text_ocr\": false, \"bbox\": [250, 250, 750, "
      "750]}, "
      "{\"index\": 2, \"statement\": \"So the answer follows\", \"need_object_captioning\": false, "
      "\"need_text_ocr\": false, \"bbox\": null}]}</STRUCTURED_STEPS>";
  std::string synthesis =
      "{\"answer\": \"an object\", \"explanation\": \"The centre shows an object.\", "
      "\"key_evidence\": [{\"bbox\": [250, 250, 750, 750], \"description\": \"the object\", "
      "\"reasoning\": \"it is there\"}]}";
  Json j = {
      {"completions",
       {{{"phase", "reasoning"}, {"step", 0}, {"output", reasoning}},
        {{"phase", "caption"}, {"step", 1}, {"output", "A thing in the middle of the picture."}},
        {{"phase", "synthesis"}, {"step", 0}, {"output", synthesis}}}}};
  return j.dump(2);
}

class E2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs::exists(kCorgi)) << kCorgi;
    replay_ = dir_.path() + "/replay.json";
    WriteText(replay_, ReplayJson());
    // OCR is not needed by these recordings; skip creating Tesseract.
    config_ = dir_.path() + "/cfg.yaml";
    WriteText(config_, "ocr:\n  engine: vlm\noutputs:\n  report: false\n");
  }
  // 20 items over the sample images, JSONL with image paths relative to the input file.
  std::string WriteInput(int n) {
    fs::create_directories(dir_.path() + "/imgs");
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(kImages))
      if (e.path().extension() == ".png") names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    for (const std::string& name : names)
      fs::copy_file(kImages + "/" + name, dir_.path() + "/imgs/" + name,
                    fs::copy_options::overwrite_existing);
    std::string text = "# 20 questions\n";
    for (int i = 0; i < n; ++i) {
      text += Json{{"id", std::string("q").append(std::to_string(i))},
                   {"image", "imgs/" + names[i % names.size()]},
                   {"question", "What is in the centre?"}}
                  .dump() +
              "\n";
    }
    std::string path = dir_.path() + "/input.jsonl";
    WriteText(path, text);
    return path;
  }
  std::vector<std::string> BatchArgs(const std::string& input, const std::string& out) const {
    return {"batch", "--replay", replay_, "--config", config_, "--input", input, "--out", out};
  }

  TempDir dir_;
  std::string replay_, config_;
};

// The ids of results.jsonl, in order; fails on a line that is not a complete JSON object.
inline std::vector<std::string> ResultIds(const std::string& path) {
  std::vector<std::string> ids;
  std::string text = Slurp(path);
  EXPECT_TRUE(text.empty() || text.back() == '\n');
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    Json j = Json::parse(text.substr(pos, end - pos), nullptr, false);
    EXPECT_TRUE(j.is_object()) << text.substr(pos, end - pos);
    if (j.is_object()) ids.push_back(j.value("id", ""));
    pos = end + 1;
  }
  return ids;
}

inline void ExpectExactlyOnce(const std::vector<std::string>& ids, int n) {
  std::map<std::string, int> count;
  for (const std::string& id : ids) ++count[id];
  EXPECT_EQ(ids.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i)
    EXPECT_EQ(count[std::string("q").append(std::to_string(i))], 1) << "q" << i;
}

// The lines of results.jsonl as JSON objects.
inline std::vector<Json> ResultLines(const std::string& path) {
  std::vector<Json> lines;
  std::string text = Slurp(path);
  for (size_t pos = 0; pos < text.size(); pos = text.find('\n', pos) + 1)
    lines.push_back(Json::parse(text.substr(pos, text.find('\n', pos) - pos)));
  return lines;
}

}  // namespace corgi::cli::batch_e2e
