// The output folders of the last runs of /v1/corgi/ask, served under
// /v1/corgi/runs/{id}/...: at most `keep` runs and `max_bytes` bytes (the oldest go
// first), each under an unguessable id (128 random bits, 32 hex digits). Only the files
// the pipeline writes are served: results.json, trace.json, annotated.png, original.png,
// report.html and crops/<name>.png — never a path outside the run's folder. Thread-safe.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "corgi/core/status.h"

namespace corgi::server {

class RunsStore {
 public:
  // `root` is created; when empty, a fresh folder under the system temp directory that the
  // destructor removes.
  static StatusOr<std::unique_ptr<RunsStore>> Create(std::string root, int64_t keep,
                                                     int64_t max_bytes);
  ~RunsStore();

  // A new id and its (created, empty) folder.
  StatusOr<std::pair<std::string, std::string>> NewRun();
  // Registers a written run and evicts the oldest runs beyond the bounds.
  void Commit(const std::string& id);
  // Removes a run that was not committed (its outputs failed).
  void Discard(const std::string& id);

  // The file `relative` (e.g. "crops/step1_object.png") of run `id`, or nullopt when the
  // id or name is not valid or no such file is kept.
  std::optional<std::string> FilePath(const std::string& id, const std::string& relative) const;
  static bool ValidId(const std::string& id);
  static bool ValidRelativeName(const std::string& relative);

  int64_t runs() const;
  int64_t bytes() const;
  const std::string& root() const { return root_; }

 private:
  RunsStore() = default;
  struct Run {
    std::string id;
    int64_t bytes = 0;
  };
  std::string root_;
  bool owned_ = false;
  int64_t keep_ = 0, max_bytes_ = 0;
  mutable std::mutex mu_;
  std::deque<Run> runs_;  // oldest first
  int64_t total_bytes_ = 0;
};

}  // namespace corgi::server
