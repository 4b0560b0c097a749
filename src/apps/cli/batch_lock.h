// The exclusive lock of a `corgi batch` output folder: OUT/.lock, flock(2)ed for as long
// as the run lives and holding its pid. Two runs on one --out would both see an item as
// not done and both append its line; the second run is refused at once instead, naming
// the holder. The kernel drops the lock when the process ends, however it ends, so a
// crashed or killed run never blocks the next one. The file itself stays (removing it
// would race with a run that has just opened it).
//
// Local file systems only: flock on some network file systems does not exclude other
// machines. Not thread-safe; one per process and folder.
#pragma once

#include <string>

#include "corgi/core/status.h"

namespace corgi::cli {

class OutputLock {
 public:
  // Creates OUT/.lock if needed and locks it without waiting. FailedPrecondition naming
  // the holder's pid when another process has it; IoError when the file cannot be made.
  static StatusOr<OutputLock> Acquire(const std::string& out_dir);
  OutputLock(OutputLock&& other) noexcept;
  OutputLock& operator=(OutputLock&& other) noexcept;
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  ~OutputLock();  // releases the lock

 private:
  explicit OutputLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace corgi::cli
