// Reading files that users hand over: images, configs, replay and trace files,
// tokenizer.json, batch inputs. They are copied into memory with read(), never mapped: a
// mapped file that another process truncates raises SIGBUS on the next access, while a
// read() of a shrinking file just returns fewer bytes. Model weights stay mapped
// (mapped_file.h): a model directory is trusted and too large to copy.
//
// Every function here opens with O_NONBLOCK and checks fstat() before reading, so a FIFO,
// socket or device given as a file fails at once instead of blocking in open() or read().
// Thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "corgi/core/status.h"

namespace corgi {

// Default cap of ReadFileToString (mapped_file.h): large enough for any text file corgi
// reads (tokenizer.json is ~11 MB), small enough that a wrong path cannot exhaust memory.
inline constexpr int64_t kDefaultMaxReadBytes = int64_t{1} << 30;  // 1 GiB

// Opens `path` read-only, close-on-exec and without blocking, and checks that it is a
// regular file; returns the descriptor (the caller closes it). `what` names the file's role
// in messages ("image", "config.json"; may be empty). Errors, each naming the path:
//   NotFound          no such file or directory, or a path component is not a directory
//   IoError           a symlink loop (ELOOP), permission denied, other open/stat failures
//   InvalidArgument   a directory, FIFO, socket or device instead of a regular file
StatusOr<int> OpenRegularFile(const std::string& path, std::string_view what);

// The whole of regular file `path`, read with read() (see above). Errors as OpenRegularFile,
// and ResourceExhausted when the file holds more than `max_bytes` bytes, IoError when it
// changes size while being read or read() fails.
StatusOr<std::string> ReadRegularFile(const std::string& path, int64_t max_bytes,
                                      std::string_view what);

}  // namespace corgi
