#include "apps/cli/model_path.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <vector>

namespace corgi::cli {

namespace fs = std::filesystem;

namespace {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr ? v : "";
}

bool RepoIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         c == '-' || c == '_' || c == '.';
}

std::string Trim(std::string s) {
  size_t b = s.find_first_not_of(" \t\r\n");
  size_t e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

std::string HubCacheDir() {
  if (std::string v = Env("HF_HUB_CACHE"); !v.empty()) return v;
  if (std::string v = Env("HF_HOME"); !v.empty()) return v + "/hub";
  if (std::string v = Env("XDG_CACHE_HOME"); !v.empty()) return v + "/huggingface/hub";
  std::string home = Env("HOME");
  return (home.empty() ? std::string("~") : home) + "/.cache/huggingface/hub";
}

bool LooksLikeRepoId(const std::string& arg) {
  size_t slash = arg.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 >= arg.size()) return false;
  if (arg.find('/', slash + 1) != std::string::npos) return false;
  if (arg[0] == '.' || arg[slash + 1] == '.') return false;
  for (char c : arg)
    if (c != '/' && !RepoIdChar(c)) return false;
  return true;
}

StatusOr<std::string> ResolveModelPathIn(const std::string& arg, const std::string& cache_dir) {
  if (arg.empty()) return InvalidArgumentError("no model given (-m/--model DIR or OWNER/NAME)");
  std::error_code ec;
  if (fs::exists(arg, ec) || !LooksLikeRepoId(arg)) return arg;
  const size_t slash = arg.find('/');
  const std::string repo_dir =
      cache_dir + "/models--" + arg.substr(0, slash) + "--" + arg.substr(slash + 1);
  const std::string missing =
      "model '" + arg + "' is not a directory, and as a Hugging Face repo id it is not in the "
      "local cache (looked in " + repo_dir + "; the cache is $HF_HUB_CACHE, else $HF_HOME/hub, "
      "else ~/.cache/huggingface/hub). corgi does not download models: run "
      "`huggingface-cli download " + arg + "` first, or pass a checkpoint directory";
  if (!fs::is_directory(repo_dir, ec)) return NotFoundError(missing);

  std::string revision;
  std::ifstream ref(repo_dir + "/refs/main");
  if (ref) {
    std::string line;
    std::getline(ref, line);
    revision = Trim(line);
  }
  if (revision.empty()) {
    // No refs/main (e.g. downloaded with --revision): a single snapshot is unambiguous.
    std::vector<std::string> snapshots;
    for (const fs::directory_entry& e : fs::directory_iterator(repo_dir + "/snapshots", ec))
      if (e.is_directory()) snapshots.push_back(e.path().filename().string());
    if (snapshots.size() != 1) {
      return NotFoundError(missing + " (" + repo_dir + "/refs/main is missing and there are " +
                           std::to_string(snapshots.size()) + " snapshots)");
    }
    revision = snapshots[0];
  }
  const std::string snapshot = repo_dir + "/snapshots/" + revision;
  if (!fs::is_directory(snapshot, ec)) {
    return NotFoundError(missing + " (refs/main names revision " + revision +
                         ", but " + snapshot + " does not exist)");
  }
  return snapshot;
}

StatusOr<std::string> ResolveModelPath(const std::string& arg) {
  return ResolveModelPathIn(arg, HubCacheDir());
}

std::string* AddModelFlag(FlagParser* flags, const std::string& help) {
  std::string* model = flags->String("model", "", help, "DIR");
  flags->Alias("m", "model");
  return model;
}

bool ResolveModelFlag(std::string* model) {
  if (model->empty()) return true;
  StatusOr<std::string> dir = ResolveModelPath(*model);
  if (!dir.ok()) {
    std::fprintf(stderr, "error: %s\n", dir.status().ToString().c_str());
    return false;
  }
  *model = *dir;
  return true;
}

}  // namespace corgi::cli
