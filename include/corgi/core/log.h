// Logging to stderr. The level comes from the environment variable CORGI_LOG_LEVEL
// (debug | info | warning | error | off; default warning), read once at first use.
//
//   CORGI_LOG(INFO) << "loaded " << n << " tensors";
//
// Thread-safety: each message is written with one call, so lines do not interleave.
#pragma once

#include <sstream>

namespace corgi {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3, kOff = 4 };

// The active level; parsed from CORGI_LOG_LEVEL on first call.
LogLevel CurrentLogLevel();
// Overrides the environment (e.g. from a --verbose flag).
void SetLogLevel(LogLevel level);
// Parses "debug", "info", "warning"/"warn", "error", "off" (case-insensitive); false if unknown.
bool ParseLogLevel(const char* text, LogLevel* out);

namespace internal {
class LogMessage {
 public:
  LogMessage(LogLevel level, const char* file, int line);
  ~LogMessage();
  std::ostream& stream() { return stream_; }

 private:
  LogLevel level_;
  std::ostringstream stream_;
};
struct LogVoidify {
  void operator&(std::ostream&) {}
};
}  // namespace internal
}  // namespace corgi

#define CORGI_LOG_LEVEL_DEBUG ::corgi::LogLevel::kDebug
#define CORGI_LOG_LEVEL_INFO ::corgi::LogLevel::kInfo
#define CORGI_LOG_LEVEL_WARNING ::corgi::LogLevel::kWarning
#define CORGI_LOG_LEVEL_ERROR ::corgi::LogLevel::kError

#define CORGI_LOG(level)                                               \
  (CORGI_LOG_LEVEL_##level < ::corgi::CurrentLogLevel())               \
      ? (void)0                                                        \
      : ::corgi::internal::LogVoidify() &                              \
            ::corgi::internal::LogMessage(CORGI_LOG_LEVEL_##level, __FILE__, __LINE__).stream()
