// A read-only memory map of a whole file (checkpoints are mapped, never copied). Only for
// trusted files that nobody truncates while mapped (model weights): a mapped file that
// shrinks raises SIGBUS. Files users hand over are read with ReadRegularFile (read_file.h).
// Move-only; the mapping lives as long as the object. Safe to read from many threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "corgi/core/status.h"

namespace corgi {

class MappedFile {
 public:
  // Maps `path` read-only. Errors: as OpenRegularFile (read_file.h: NotFound, IoError,
  // InvalidArgument for a directory or FIFO), IoError when mmap fails. An empty file maps
  // to size() == 0, data() == nullptr.
  static StatusOr<MappedFile> Open(const std::string& path);

  MappedFile() = default;
  ~MappedFile();
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  std::string_view view() const {
    return std::string_view(reinterpret_cast<const char*>(data_), size_);
  }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::string path_;
};

// Reads a whole regular file into a string with read() (no mmap, no blocking on a FIFO):
// ReadRegularFile(path, kDefaultMaxReadBytes, ""); errors as there (read_file.h).
StatusOr<std::string> ReadFileToString(const std::string& path);

// Writes `contents` to `path` atomically: a temporary file in the same directory,
// fsync'd, then renamed over the target. Readers never see a partial file.
Status WriteFileAtomically(const std::string& path, std::string_view contents);

}  // namespace corgi
