#include "corgi/core/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace corgi {
namespace {

// "image '/a/b.png'" or "'/a/b.png'".
std::string Name(const std::string& path, std::string_view what) {
  std::string name = what.empty() ? "" : std::string(what) + " ";
  return name + "'" + path + "'";
}

// "is a FIFO (named pipe), not a regular file", ...
std::string NotRegular(mode_t mode) {
  const char* kind = S_ISDIR(mode)    ? "a directory"
                     : S_ISFIFO(mode) ? "a FIFO (named pipe)"
                     : S_ISSOCK(mode) ? "a socket"
                     : S_ISCHR(mode)  ? "a character device"
                     : S_ISBLK(mode)  ? "a block device"
                                      : nullptr;
  return kind == nullptr ? " is not a regular file" : std::string(" is ") + kind + ", not a regular file";
}

Status OpenError(int err, const std::string& path, std::string_view what) {
  const std::string name = Name(path, what);
  switch (err) {
    case ENOENT:
      return NotFoundError(name + " does not exist");
    case ENOTDIR:
      return NotFoundError(name + " does not exist (a component of the path is not a directory)");
    case ELOOP:
      return IoError(name + " is a symlink loop (too many levels of symbolic links)");
    case EACCES:
      return IoError(name + " cannot be read: permission denied");
    default:
      return IoError("cannot open " + name + ": " + std::strerror(err));
  }
}

}  // namespace

StatusOr<int> OpenRegularFile(const std::string& path, std::string_view what) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer. It has no
  // effect on regular files.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return OpenError(errno, path, what);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return IoError("cannot stat " + Name(path, what) + ": " + std::strerror(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgumentError(Name(path, what) + NotRegular(st.st_mode));
  }
  return fd;
}

StatusOr<std::string> ReadRegularFile(const std::string& path, int64_t max_bytes,
                                      std::string_view what) {
  CORGI_ASSIGN_OR_RETURN(int fd, OpenRegularFile(path, what));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return IoError("cannot stat " + Name(path, what) + ": " + std::strerror(err));
  }
  const int64_t size = static_cast<int64_t>(st.st_size);
  if (size > max_bytes) {
    ::close(fd);
    return ResourceExhaustedError(Name(path, what) + " is " + std::to_string(size) +
                                  " bytes, more than the limit of " + std::to_string(max_bytes) +
                                  " bytes");
  }
  // One byte more than fstat said, to notice a file that grew; stop at EOF.
  std::string data(static_cast<size_t>(size) + 1, '\0');
  size_t got = 0;
  while (got < data.size()) {
    ssize_t n = ::read(fd, data.data() + got, data.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return IoError("cannot read " + Name(path, what) + ": " + std::strerror(err));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (static_cast<int64_t>(got) != size) {
    const std::string now = got > static_cast<size_t>(size) ? "more" : std::to_string(got);
    return IoError(Name(path, what) + " changed size while being read (" + std::to_string(size) +
                   " bytes at open, " + now + " read); is another program writing it?");
  }
  data.resize(got);
  return data;
}

}  // namespace corgi
