// OUT/results.jsonl of `corgi batch`: one JSON line per finished item, appended and fsync'd
// as each item completes, so a killed run loses at most the item in progress and a rerun
// resumes where it stopped.
//
//   {"id": "q1", "image": "a.jpg", "question": "...", "answer": "...", "explanation": "...",
//    "error": null, "timings": {"reasoning": 812.5, ..., "total": 2210.0}, "output_dir":
//    "items/q1"}
//
// Not thread-safe: one writer per file; `corgi batch --parallel` serializes its workers'
// appends under a lock (each line is still one write(2), never interleaved).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "corgi/core/status.h"

namespace corgi::cli {

struct BatchLine {
  std::string id;
  std::string image;  // as written in the input
  std::string question;
  std::string answer;
  std::string explanation;
  std::optional<std::string> error;                     // null in the file when the item succeeded
  std::vector<std::pair<std::string, double>> timings;  // phase -> ms, in phase order
  std::optional<std::string> output_dir;  // relative to OUT; null when nothing was written
};

// One line of results.jsonl, without the trailing newline.
std::string FormatBatchLine(const BatchLine& line);

// A line of results.jsonl (without its newline) as a JSON object with a string "id";
// nullopt when it is not one (torn, not JSON, too deep).
std::optional<nlohmann::json> ParseResultsLine(const std::string& line);

// A results line (ParseResultsLine's object) as text, invalid UTF-8 replaced.
std::string FormatResultsJson(const nlohmann::json& line);

struct ResultsState {
  std::set<std::string> done_ids;    // ids with a complete line (failed items included)
  std::set<std::string> failed_ids;  // the subset whose "error" is not null
  std::map<std::string, std::string> dir_ids;  // "output_dir" ("items/q1") -> the id that wrote it
  int64_t lines = 0;                 // complete lines kept
  bool truncated_partial_line = false;
};

// Reads `path` (absent: empty state). A last line that is cut short (no final newline, or
// not a JSON object with a string "id") is what a run killed mid-write leaves: it is cut
// off the file (truncate) so the item runs again and is never counted twice. A bad line
// anywhere else is DataLoss naming the line (the file is left as it is).
StatusOr<ResultsState> LoadAndRepairResults(const std::string& path);

// Rewrites `path` (atomically) without the lines of failed items, so a rerun retries them.
// Call after LoadAndRepairResults. Returns how many lines were dropped.
StatusOr<int64_t> DropFailedResults(const std::string& path);

// Appends lines to results.jsonl. Each Append is one write(2) of the whole line followed
// by fsync, so after Append returns the line survives a crash.
class ResultsWriter {
 public:
  // Creates the file when absent. IoError naming the path.
  static StatusOr<ResultsWriter> Open(const std::string& path);
  ResultsWriter(ResultsWriter&& other) noexcept;
  ResultsWriter& operator=(ResultsWriter&& other) noexcept;
  ResultsWriter(const ResultsWriter&) = delete;
  ResultsWriter& operator=(const ResultsWriter&) = delete;
  ~ResultsWriter();

  // IoError when the write or fsync fails.
  Status Append(const BatchLine& line);

 private:
  ResultsWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

}  // namespace corgi::cli
