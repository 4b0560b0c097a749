// Status and StatusOr: how corgi reports failures caused by input or environment
// (bad files, bad arguments, missing resources). Programmer errors use CORGI_CHECK.
//
//   corgi::StatusOr<Config> c = LoadConfig(path);
//   if (!c.ok()) { std::cerr << c.status().ToString(); return 1; }
//
// Thread-safety: values; safe to copy between threads.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "corgi/core/check.h"

namespace corgi {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // the caller passed something malformed (bad flag, bad prompt)
  kNotFound,            // a file, tensor or key is missing
  kDataLoss,            // a file is corrupt, truncated or lies about its contents
  kOutOfRange,          // a value is outside what is supported (too many pixels, prompt too long)
  kUnimplemented,       // a valid feature we do not support (e.g. dtype I8)
  kFailedPrecondition,  // the system is not in a state to do this
  kResourceExhausted,   // out of memory or budget
  kIoError,             // the OS refused (open, read, mmap, write)
  kInternal,            // a bug surfaced as a status
  kCancelled,           // the caller (or a disconnected client) cancelled the work
  kDeadlineExceeded,    // the work ran past its deadline and was cancelled
};

const char* StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "DataLoss: header length 99999 exceeds file size 120". Never empty for errors.
  std::string ToString() const;

  // Returns a copy whose message is "context: message" — for adding the file name or tensor.
  Status WithContext(const std::string& context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

Status InvalidArgumentError(std::string message);
Status NotFoundError(std::string message);
Status DataLossError(std::string message);
Status OutOfRangeError(std::string message);
Status UnimplementedError(std::string message);
Status FailedPreconditionError(std::string message);
Status ResourceExhaustedError(std::string message);
Status IoError(std::string message);
Status InternalError(std::string message);
Status CancelledError(std::string message);
Status DeadlineExceededError(std::string message);

// Holds either a value or a non-OK Status.
template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    CORGI_CHECK(!status_.ok()) << "StatusOr built from an OK status without a value";
  }
  StatusOr(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    CORGI_CHECK(ok()) << "value() on error: " << status_.ToString();
    return *value_;
  }
  const T& value() const& {
    CORGI_CHECK(ok()) << "value() on error: " << status_.ToString();
    return *value_;
  }
  T&& value() && {
    CORGI_CHECK(ok()) << "value() on error: " << status_.ToString();
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace corgi

#define CORGI_STATUS_CONCAT_INNER(a, b) a##b
#define CORGI_STATUS_CONCAT(a, b) CORGI_STATUS_CONCAT_INNER(a, b)

// Returns from the enclosing function if `expr` (a Status) is not OK.
#define CORGI_RETURN_IF_ERROR(expr)              \
  do {                                           \
    ::corgi::Status corgi_status_tmp_ = (expr);  \
    if (!corgi_status_tmp_.ok()) return corgi_status_tmp_; \
  } while (0)

// CORGI_ASSIGN_OR_RETURN(auto x, MakeX()); — declares x or returns the error.
#define CORGI_ASSIGN_OR_RETURN(lhs, expr) \
  CORGI_ASSIGN_OR_RETURN_IMPL(CORGI_STATUS_CONCAT(corgi_statusor_, __LINE__), lhs, expr)
#define CORGI_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
