#include "apps/cli/batch_results.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "corgi/core/json_scan.h"
#include "corgi/core/mapped_file.h"

namespace corgi::cli {
namespace {

using Json = nlohmann::json;

std::string Errno(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

// The id of a complete results line, or nullopt when the line is not one of ours; its
// "output_dir" (or "") into *output_dir when given.
std::optional<std::string> LineId(const std::string& line, bool* failed, std::string* output_dir = nullptr) {
  std::optional<Json> obj = ParseResultsLine(line);
  if (!obj) return std::nullopt;
  auto error = obj->find("error");
  *failed = error != obj->end() && !error->is_null();
  if (auto dir = obj->find("output_dir"); output_dir != nullptr && dir != obj->end() && dir->is_string())
    *output_dir = dir->get<std::string>();
  return (*obj)["id"].get<std::string>();
}

}  // namespace

std::optional<nlohmann::json> ParseResultsLine(const std::string& line) {
  if (!CheckJsonDepth(line, "results line").ok()) return std::nullopt;  // ours are shallow
  Json obj = Json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (obj.is_discarded() || !obj.is_object()) return std::nullopt;
  auto id = obj.find("id");
  if (id == obj.end() || !id->is_string()) return std::nullopt;
  return obj;
}

std::string FormatResultsJson(const nlohmann::json& line) {
  // Invalid UTF-8 from a model must not make the line unwritable: replace it.
  return line.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string FormatBatchLine(const BatchLine& line) {
  Json timings = Json::object();
  for (const auto& [phase, ms] : line.timings) timings[phase] = ms;
  Json obj = {
      {"id", line.id},
      {"image", line.image},
      {"question", line.question},
      {"answer", line.answer},
      {"explanation", line.explanation},
      {"error", line.error ? Json(*line.error) : Json(nullptr)},
      {"timings", timings},
      {"output_dir", line.output_dir ? Json(*line.output_dir) : Json(nullptr)},
  };
  return FormatResultsJson(obj);
}

StatusOr<ResultsState> LoadAndRepairResults(const std::string& path) {
  ResultsState state;
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return state;
  CORGI_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  size_t pos = 0, line_no = 0;
  while (pos < text.size()) {
    ++line_no;
    size_t end = text.find('\n', pos);
    bool complete = end != std::string::npos;
    std::string line = text.substr(pos, (complete ? end : text.size()) - pos);
    bool last = !complete || end + 1 == text.size();
    if (complete && line.find_first_not_of(" \t\r") == std::string::npos) {  // blank: skip
      pos = end + 1;
      continue;
    }
    bool failed = false;
    std::string output_dir;
    std::optional<std::string> id = complete ? LineId(line, &failed, &output_dir) : std::nullopt;
    if (!id && last) {
      // A run killed mid-append leaves a prefix of a line: drop it so the item reruns.
      if (::truncate(path.c_str(), static_cast<off_t>(pos)) != 0)
        return IoError(Errno("cannot truncate", path));
      state.truncated_partial_line = true;
      break;
    }
    if (!id) {
      return DataLossError(
          path + ":" + std::to_string(line_no) +
          ": not a results line (a JSON object with a string \"id\"); fix or remove it");
    }
    state.done_ids.insert(*id);
    if (failed) state.failed_ids.insert(*id);
    if (!output_dir.empty()) state.dir_ids[output_dir] = *id;
    ++state.lines;
    pos = end + 1;
  }
  return state;
}

StatusOr<int64_t> DropFailedResults(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return int64_t{0};
  CORGI_ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  std::string kept;
  int64_t dropped = 0;
  for (size_t pos = 0; pos < text.size();) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    bool failed = false;
    if (LineId(line, &failed) && failed) {
      ++dropped;
    } else if (!line.empty()) {
      kept += line + "\n";
    }
  }
  if (dropped > 0) CORGI_RETURN_IF_ERROR(WriteFileAtomically(path, kept));
  return dropped;
}

StatusOr<ResultsWriter> ResultsWriter::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return IoError(Errno("cannot open", path));
  // Make the file's directory entry durable too, or a crash could lose a fresh file.
  std::string dir = std::filesystem::path(path).parent_path().string();
  if (int dir_fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return ResultsWriter(fd, path);
}

ResultsWriter::ResultsWriter(ResultsWriter&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

ResultsWriter& ResultsWriter::operator=(ResultsWriter&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    path_ = std::move(other.path_);
  }
  return *this;
}

ResultsWriter::~ResultsWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Status ResultsWriter::Append(const BatchLine& line) {
  std::string text = FormatBatchLine(line) + "\n";
  size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd_, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return IoError(Errno("cannot append to", path_));
    written += static_cast<size_t>(n);
  }
  if (::fsync(fd_) != 0) return IoError(Errno("cannot fsync", path_));
  return Status::Ok();
}

}  // namespace corgi::cli
