// For tests that make the system refuse a thread: cap the process's address space a few
// MB above what it uses now (a thread stack takes 2-8 MB). Run it in a child process.
#pragma once

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

// Sanitizers reserve the address space an RLIMIT_AS test needs.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define CORGI_NO_ADDRESS_SPACE_LIMIT 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define CORGI_NO_ADDRESS_SPACE_LIMIT 1
#endif
#endif

namespace corgi::test_util {

// False when the limit could not be set.
inline bool LimitAddressSpaceToCurrentPlus(long extra_bytes) {
  long pages = 0;
  std::ifstream("/proc/self/statm") >> pages;
  const rlim_t limit =
      static_cast<rlim_t>(pages) * static_cast<rlim_t>(::sysconf(_SC_PAGESIZE)) + static_cast<rlim_t>(extra_bytes);
  const rlimit rl = {limit, limit};
  return ::setrlimit(RLIMIT_AS, &rl) == 0;
}

}  // namespace corgi::test_util
