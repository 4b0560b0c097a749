#include "apps/cli/batch_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace corgi::cli {
namespace {

// The pid another run wrote into the lock file ("" when it has not written it yet).
std::string HolderPid(int fd) {
  char text[32] = {};
  ssize_t n = ::pread(fd, text, sizeof(text) - 1, 0);
  std::string pid = n > 0 ? std::string(text, static_cast<size_t>(n)) : "";
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid;
}

}  // namespace

StatusOr<OutputLock> OutputLock::Acquire(const std::string& out_dir) {
  const std::string path = out_dir + "/.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("cannot open the lock file '" + path + "': " + std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    std::string pid = err == EWOULDBLOCK ? HolderPid(fd) : "";
    ::close(fd);
    if (err != EWOULDBLOCK) return IoError("cannot lock '" + path + "': " + std::strerror(err));
    return FailedPreconditionError(
        "'" + out_dir + "' is in use by another corgi batch (pid " +
        (pid.empty() ? "unknown" : pid) + ", holding " + path +
        "); two runs on one --out would run every item twice: wait for it to finish, "
        "stop it, or choose another --out");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    const int err = errno;
    ::close(fd);
    return IoError("cannot write the lock file '" + path + "': " + std::strerror(err));
  }
  return OutputLock(fd);
}

OutputLock::OutputLock(OutputLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

OutputLock& OutputLock::operator=(OutputLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

OutputLock::~OutputLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the only descriptor releases the flock
}

}  // namespace corgi::cli
