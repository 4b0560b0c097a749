#include "apps/cli/batch_item_dir.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "corgi/core/mapped_file.h"

namespace corgi::cli {
namespace {

namespace fs = std::filesystem;

// Who wrote the folder out_dir/rel_dir: its marker's id, "" when the folder (or its
// marker, for folders of older corgi versions) is absent, "?" when unreadable.
std::string MarkedOwner(const std::string& out_dir, const std::string& rel_dir) {
  const std::string marker = out_dir + "/" + rel_dir + "/" + kItemIdFile;
  std::error_code ec;
  if (!fs::exists(marker, ec)) return ec ? "?" : "";
  StatusOr<std::string> id = ReadFileToString(marker);
  return id.ok() ? *id : "?";
}

// Makes a rename inside `dir` durable before the results line that refers to it.
void SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

Status Rename(const std::string& from, const std::string& to) {
  std::error_code ec;
  fs::rename(from, to, ec);
  if (ec) return IoError("cannot rename '" + from + "' to '" + to + "': " + ec.message());
  return Status::Ok();
}

}  // namespace

StatusOr<std::string> ChooseItemDir(const std::string& out_dir, const std::string& id,
                                    const std::string& preferred,
                                    const std::map<std::string, std::string>& recorded) {
  for (int n = 1; n <= 1000; ++n) {
    std::string rel = "items/" + preferred;
    if (n > 1) rel.append("-").append(std::to_string(n));
    auto line = recorded.find(rel);
    if (line != recorded.end() && line->second != id) continue;  // another id's finished item
    const std::string owner = MarkedOwner(out_dir, rel);
    if (!owner.empty() && owner != id) continue;  // another id's folder (a crash left it)
    return rel;
  }
  return ResourceExhaustedError("no free folder for id '" + id + "' under " + out_dir + "/items/" +
                                preferred + "[-N]: 1000 names are taken by other ids");
}

Status ClearStaging(const std::string& out_dir) {
  std::error_code ec;
  fs::remove_all(out_dir + "/.staging", ec);
  if (ec)
    return IoError("cannot remove '" + out_dir +
                   "/.staging' (left by an interrupted run): " + ec.message());
  return Status::Ok();
}

Status WriteItemDir(const std::string& out_dir, const std::string& rel_dir, const std::string& id,
                    int slot, const std::function<Status(const std::string& dir)>& write) {
  const std::string staging = out_dir + "/.staging/" + std::to_string(slot),
                    fresh = staging + "/new", old = staging + "/old";
  const std::string target = out_dir + "/" + rel_dir;
  std::error_code ec;
  fs::remove_all(staging, ec);
  if (ec) return IoError("cannot remove '" + staging + "': " + ec.message());
  fs::create_directories(fresh, ec);
  if (ec) return IoError("cannot create '" + fresh + "': " + ec.message());
  Status written = write(fresh);
  if (written.ok()) written = WriteFileAtomically(fresh + "/" + kItemIdFile, id);
  if (!written.ok()) {
    fs::remove_all(staging, ec);
    fs::remove_all(target, ec);  // an older folder of this id must not pass for this run's
    return written;
  }
  if (fs::exists(target, ec)) CORGI_RETURN_IF_ERROR(Rename(target, old));
  CORGI_RETURN_IF_ERROR(Rename(fresh, target));
  SyncDirectory(fs::path(target).parent_path().string());
  fs::remove_all(staging, ec);
  return Status::Ok();
}

}  // namespace corgi::cli
