// The endpoints of one remote model: which one takes the next call (least outstanding
// requests among those in rotation, within each one's max_in_flight), and which rest after
// failing (3 failures in a row: out of rotation for eject_s, unless every endpoint is out).
// Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

#include "corgi/core/cancel.h"
#include "corgi/core/status.h"

namespace corgi::pipeline::remote {

struct EndpointCounters {
  int64_t requests = 0;   // HTTP exchanges started
  int64_t failures = 0;   // of those, retryable failures (429, 5xx, transport)
  int64_t ejections = 0;  // times taken out of rotation
};

class EndpointPool {
 public:
  EndpointPool(std::vector<int64_t> max_in_flight, double eject_s);

  // Blocks until an endpoint has a free slot; returns its index. Cancelled when `cancel`
  // fires while waiting.
  StatusOr<size_t> Acquire(const std::optional<CancelToken>& cancel);
  // Ends a call on endpoint `i`. `retryable_failure`: it failed in a way that counts
  // against the endpoint's health (429, 5xx, transport); a success resets the count.
  void Release(size_t i, bool retryable_failure);

  std::vector<EndpointCounters> counters() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct State {
    int64_t max_in_flight = 1;
    int64_t outstanding = 0;
    int64_t failures_in_a_row = 0;
    Clock::time_point out_until{};
    EndpointCounters counters;
  };
  std::optional<size_t> Pick(Clock::time_point now) const;  // needs mutex_

  const double eject_s_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::vector<State> endpoints_;  // guarded by mutex_
};

}  // namespace corgi::pipeline::remote
