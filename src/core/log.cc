#include "corgi/core/log.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <strings.h>

namespace corgi {
namespace {

std::atomic<int> g_level{-1};

LogLevel LevelFromEnvironment() {
  const char* env = std::getenv("CORGI_LOG_LEVEL");
  LogLevel level = LogLevel::kWarning;
  if (env != nullptr && *env != '\0' && !ParseLogLevel(env, &level)) {
    std::fprintf(stderr, "corgi: ignoring unknown CORGI_LOG_LEVEL=%s (use debug|info|warning|error|off)\n",
                 env);
    level = LogLevel::kWarning;
  }
  return level;
}

const char* LevelTag(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug: return "D";
    case LogLevel::kInfo: return "I";
    case LogLevel::kWarning: return "W";
    case LogLevel::kError: return "E";
    default: return "?";
  }
}

}  // namespace

bool ParseLogLevel(const char* text, LogLevel* out) {
  struct Entry { const char* name; LogLevel level; };
  static const Entry kEntries[] = {{"debug", LogLevel::kDebug},   {"info", LogLevel::kInfo},
                                   {"warning", LogLevel::kWarning}, {"warn", LogLevel::kWarning},
                                   {"error", LogLevel::kError},   {"off", LogLevel::kOff}};
  for (const Entry& e : kEntries) {
    if (strcasecmp(text, e.name) == 0) {
      *out = e.level;
      return true;
    }
  }
  return false;
}

LogLevel CurrentLogLevel() {
  int level = g_level.load(std::memory_order_relaxed);
  if (level < 0) {
    level = static_cast<int>(LevelFromEnvironment());
    g_level.store(level, std::memory_order_relaxed);
  }
  return static_cast<LogLevel>(level);
}

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

namespace internal {

LogMessage::LogMessage(LogLevel level, const char* file, int line) : level_(level) {
  const char* base = std::strrchr(file, '/');
  stream_ << "[" << LevelTag(level) << " " << (base ? base + 1 : file) << ":" << line << "] ";
}

LogMessage::~LogMessage() {
  stream_ << '\n';
  std::string text = stream_.str();
  std::fwrite(text.data(), 1, text.size(), stderr);
  (void)level_;
}

}  // namespace internal
}  // namespace corgi
