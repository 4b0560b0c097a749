#include "corgi/core/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "corgi/core/read_file.h"

namespace corgi {
namespace {

Status ErrnoStatus(const std::string& what, const std::string& path) {
  int err = errno;
  std::string message = what + " '" + path + "': " + std::strerror(err);
  if (err == ENOENT) return NotFoundError(message);
  return IoError(message);
}

// Maps `size` bytes of `fd` read-only. A file of 2 MiB or more is placed at a 2 MiB-aligned
// address with MADV_HUGEPAGE: weights are streamed from the mapping at every decode step,
// and Linux fills a MADV_HUGEPAGE mapping's page cache with 2 MiB folios, each then mapped
// with one TLB entry instead of 512. Measured on the 2b q4 checkpoint read afresh (page
// cache dropped): 1,073 MB of its 1,200 MB mapped so, against 219 MB for a plain mapping;
// decode speed moved by +3 %, within this VM's noise. Alignment and advice are hints: where
// they fail the mapping is an ordinary one.
void* MapForStreaming(int fd, size_t size) {
  constexpr size_t kHuge = size_t{2} << 20;
  if (size < kHuge) return ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  // Reserve size + 2 MiB of address space, map the file over its first aligned address, and
  // give back the unused head and tail of the reservation.
  void* reserved = ::mmap(nullptr, size + kHuge, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (reserved == MAP_FAILED) return ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  const uintptr_t begin = reinterpret_cast<uintptr_t>(reserved);
  const uintptr_t aligned = (begin + kHuge - 1) / kHuge * kHuge;
  void* p = ::mmap(reinterpret_cast<void*>(aligned), size, PROT_READ, MAP_PRIVATE | MAP_FIXED, fd, 0);
  if (p == MAP_FAILED) {
    ::munmap(reserved, size + kHuge);
    return ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  }
  const size_t page = static_cast<size_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t end = aligned + (size + page - 1) / page * page;
  if (aligned > begin) ::munmap(reserved, aligned - begin);
  if (begin + size + kHuge > end) ::munmap(reinterpret_cast<void*>(end), begin + size + kHuge - end);
  ::madvise(p, size, MADV_HUGEPAGE);
  return p;
}

}  // namespace

StatusOr<MappedFile> MappedFile::Open(const std::string& path) {
  CORGI_ASSIGN_OR_RETURN(int fd, OpenRegularFile(path, ""));
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    Status s = ErrnoStatus("cannot stat", path);
    ::close(fd);
    return s;
  }
  MappedFile file;
  file.path_ = path;
  file.size_ = static_cast<size_t>(st.st_size);
  if (file.size_ > 0) {
    void* p = MapForStreaming(fd, file.size_);
    if (p == MAP_FAILED) {
      Status s = ErrnoStatus("cannot mmap", path);
      ::close(fd);
      return s;
    }
    file.data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  return file;
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      path_(std::move(other.path_)) {}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_ != nullptr) ::munmap(const_cast<uint8_t*>(data_), size_);
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    path_ = std::move(other.path_);
  }
  return *this;
}

StatusOr<std::string> ReadFileToString(const std::string& path) {
  return ReadRegularFile(path, kDefaultMaxReadBytes, "");
}

Status WriteFileAtomically(const std::string& path, std::string_view contents) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoStatus("cannot create", tmp);
  const char* p = contents.data();
  size_t left = contents.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      Status s = ErrnoStatus("cannot write", tmp);
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    Status s = ErrnoStatus("cannot flush", tmp);
    ::unlink(tmp.c_str());
    return s;
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = ErrnoStatus("cannot rename onto", path);
    ::unlink(tmp.c_str());
    return s;
  }
  return Status::Ok();
}

}  // namespace corgi
