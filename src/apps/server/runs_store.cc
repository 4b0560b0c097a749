#include "apps/server/runs_store.h"

#include <stdlib.h>

#include <filesystem>
#include <vector>

#include "apps/server/http_common.h"

namespace corgi::server {
namespace fs = std::filesystem;

StatusOr<std::unique_ptr<RunsStore>> RunsStore::Create(std::string root, int64_t keep,
                                                       int64_t max_bytes) {
  std::unique_ptr<RunsStore> store(new RunsStore());
  std::error_code ec;
  if (root.empty()) {
    std::string pattern = (fs::temp_directory_path(ec) / "corgi-runs-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr)
      return IoError("cannot create a runs folder under " + fs::temp_directory_path(ec).string());
    root = pattern;
    store->owned_ = true;
  } else {
    fs::create_directories(root, ec);
    if (ec) return IoError("cannot create runs folder " + root + ": " + ec.message());
  }
  store->root_ = fs::absolute(root, ec).string();
  store->keep_ = keep;
  store->max_bytes_ = max_bytes;
  return store;
}

RunsStore::~RunsStore() {
  std::error_code ec;
  if (owned_) fs::remove_all(root_, ec);
}

bool RunsStore::ValidId(const std::string& id) {
  if (id.size() != 32) return false;
  for (char c : id)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

bool RunsStore::ValidRelativeName(const std::string& relative) {
  static const char* kFiles[] = {"results.json", "trace.json", "annotated.png", "original.png",
                                 "report.html"};
  for (const char* f : kFiles)
    if (relative == f) return true;
  if (relative.rfind("crops/", 0) != 0) return false;
  std::string name = relative.substr(6);
  if (name.empty() || name.size() > 128 || name[0] == '.') return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      return false;
  return name.find("..") == std::string::npos;
}

StatusOr<std::pair<std::string, std::string>> RunsStore::NewRun() {
  std::string id = RandomHexId();
  fs::path dir = fs::path(root_) / id;
  std::error_code ec;
  if (!fs::create_directory(dir, ec) || ec)
    return IoError("cannot create run folder " + dir.string() + ": " + ec.message());
  return std::make_pair(id, dir.string());
}

void RunsStore::Commit(const std::string& id) {
  int64_t bytes = 0;
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(fs::path(root_) / id, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) bytes += static_cast<int64_t>(it->file_size(ec));
  }
  std::vector<std::string> evict;
  {
    std::lock_guard<std::mutex> lock(mu_);
    runs_.push_back({id, bytes});
    total_bytes_ += bytes;
    while (runs_.size() > 1 &&
           (static_cast<int64_t>(runs_.size()) > keep_ || total_bytes_ > max_bytes_)) {
      evict.push_back(runs_.front().id);
      total_bytes_ -= runs_.front().bytes;
      runs_.pop_front();
    }
    if (keep_ <= 0 && !runs_.empty()) {  // keeping nothing: not even the newest
      evict.push_back(runs_.front().id);
      total_bytes_ -= runs_.front().bytes;
      runs_.pop_front();
    }
  }
  for (const std::string& old : evict) fs::remove_all(fs::path(root_) / old, ec);
}

void RunsStore::Discard(const std::string& id) {
  std::error_code ec;
  if (ValidId(id)) fs::remove_all(fs::path(root_) / id, ec);
}

std::optional<std::string> RunsStore::FilePath(const std::string& id,
                                               const std::string& relative) const {
  if (!ValidId(id) || !ValidRelativeName(relative)) return std::nullopt;
  {
    std::lock_guard<std::mutex> lock(mu_);
    bool kept = false;
    for (const Run& r : runs_) kept = kept || r.id == id;
    if (!kept) return std::nullopt;
  }
  fs::path path = fs::path(root_) / id / relative;
  std::error_code ec;
  // Belt and braces: the resolved file must still lie inside the run's folder.
  fs::path canonical = fs::weakly_canonical(path, ec);
  fs::path base = fs::weakly_canonical(fs::path(root_) / id, ec);
  if (ec || canonical.string().rfind(base.string() + "/", 0) != 0) return std::nullopt;
  if (!fs::is_regular_file(canonical, ec) || fs::is_symlink(path, ec)) return std::nullopt;
  return canonical.string();
}

int64_t RunsStore::runs() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(runs_.size());
}

int64_t RunsStore::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_bytes_;
}

}  // namespace corgi::server
