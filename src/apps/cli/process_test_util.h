// Test support for the CLI's end-to-end tests: runs a binary with arguments, stdin from a
// string, stdout and stderr into files, and a time limit after which it is killed.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "corgi/core/mapped_file.h"

extern char** environ;

namespace corgi::test_process {

struct ProcessResult {
  int exit_code = -1;  // -1 when killed by a signal or timed out
  int signal = 0;
  bool timed_out = false;
  std::string out, err;
};

inline std::string Slurp(const std::string& path) {
  StatusOr<std::string> text = ReadFileToString(path);
  return text.ok() ? *text : "";
}

inline void WriteText(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

// Runs `binary args...` with `stdin_text` on stdin (io_dir/stdin.txt), stdout and stderr in
// io_dir/stdout.txt and io_dir/stderr.txt, and `env` (nullptr: this process's environment).
// Killed (SIGKILL) after `limit`.
inline ProcessResult Run(const std::string& binary, const std::vector<std::string>& args,
                         const std::string& io_dir, const std::string& stdin_text,
                         std::chrono::seconds limit, char* const* env = nullptr) {
  std::vector<std::string> argv_s = {binary};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const std::string in = io_dir + "/stdin.txt", out = io_dir + "/stdout.txt", err = io_dir + "/stderr.txt";
  WriteText(in, stdin_text);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, in.c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, binary.c_str(), &actions, nullptr, argv.data(), env != nullptr ? env : environ);
  posix_spawn_file_actions_destroy(&actions);
  ProcessResult run;
  if (rc != 0) return run;
  const auto deadline = std::chrono::steady_clock::now() + limit;
  int status = 0;
  while (::waitpid(pid, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      run.timed_out = true;
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (!run.timed_out && WIFEXITED(status)) run.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) run.signal = WTERMSIG(status);
  run.out = Slurp(out);
  run.err = Slurp(err);
  return run;
}

}  // namespace corgi::test_process
