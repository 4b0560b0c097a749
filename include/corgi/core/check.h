// CORGI_CHECK: invariants whose violation is a bug in corgi, never a user error.
// On failure it prints file:line, the condition and any streamed message, then aborts.
//
//   CORGI_CHECK(rows > 0) << "empty matrix " << name;
//   CORGI_DCHECK(i < n);  // compiled out in release builds (NDEBUG)
#pragma once

#include <sstream>

namespace corgi::internal {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  std::ostream& stream() { return stream_; }

 private:
  std::ostringstream stream_;
};

// Lets `CORGI_CHECK(x) << ...` compile to nothing when x holds.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace corgi::internal

#define CORGI_CHECK(condition)                    \
  (condition) ? (void)0                           \
              : ::corgi::internal::Voidify() &    \
                    ::corgi::internal::CheckFailure(__FILE__, __LINE__, #condition).stream()

#ifdef NDEBUG
#define CORGI_DCHECK(condition) \
  while (false) CORGI_CHECK(condition)
#else
#define CORGI_DCHECK(condition) CORGI_CHECK(condition)
#endif
