#include "pipeline/remote/endpoint_pool.h"

namespace corgi::pipeline::remote {
namespace {
constexpr int64_t kFailuresToEject = 3;
}  // namespace

EndpointPool::EndpointPool(std::vector<int64_t> max_in_flight, double eject_s) : eject_s_(eject_s) {
  for (int64_t m : max_in_flight) {
    State s;
    s.max_in_flight = std::max<int64_t>(1, m);
    endpoints_.push_back(s);
  }
}

std::optional<size_t> EndpointPool::Pick(Clock::time_point now) const {
  // Least outstanding among endpoints in rotation; when all are out, among all of them.
  for (bool in_rotation_only : {true, false}) {
    std::optional<size_t> best;
    bool any_in_rotation = false;
    for (size_t i = 0; i < endpoints_.size(); ++i) {
      const State& e = endpoints_[i];
      const bool resting = e.out_until > now;
      if (!resting) any_in_rotation = true;
      if (in_rotation_only && resting) continue;
      if (e.outstanding >= e.max_in_flight) continue;
      if (!best || e.outstanding < endpoints_[*best].outstanding) best = i;
    }
    if (best || (in_rotation_only && any_in_rotation)) return best;  // wait for a slot in rotation
  }
  return std::nullopt;
}

StatusOr<size_t> EndpointPool::Acquire(const std::optional<CancelToken>& cancel) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    if (cancel && cancel->cancelled()) return CancelledError("cancelled while waiting for an endpoint");
    if (std::optional<size_t> i = Pick(Clock::now())) {
      State& e = endpoints_[*i];
      ++e.outstanding;
      ++e.counters.requests;
      return *i;
    }
    // Woken by a release; the timeout notices cancellation and the end of a rest.
    freed_.wait_for(lock, std::chrono::milliseconds(50));
  }
}

void EndpointPool::Release(size_t i, bool retryable_failure) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    State& e = endpoints_[i];
    --e.outstanding;
    if (!retryable_failure) {
      e.failures_in_a_row = 0;
    } else {
      ++e.counters.failures;
      if (++e.failures_in_a_row >= kFailuresToEject) {
        e.failures_in_a_row = 0;
        e.out_until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                         std::chrono::duration<double>(eject_s_));
        ++e.counters.ejections;
      }
    }
  }
  freed_.notify_all();
}

std::vector<EndpointCounters> EndpointPool::counters() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<EndpointCounters> out;
  for (const State& e : endpoints_) out.push_back(e.counters);
  return out;
}

}  // namespace corgi::pipeline::remote
