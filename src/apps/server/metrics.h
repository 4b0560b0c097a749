// /metrics in Prometheus text format (0.0.4): requests by endpoint and status, the queue,
// the engine's counters and cache ratios (Engine::Stats), and throughput: the engine's
// token counters (all endpoints) over the time the server had work (busy time), and the
// per-sequence prefill/decode speed of chat completions (their Timings). Thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "corgi/engine.h"

namespace corgi::server {

struct ServerGauges {
  bool loaded = false;
  int64_t jobs_waiting = 0;
  int64_t jobs_running = 0;
  int64_t runs_kept = 0;
  int64_t runs_bytes = 0;
};

class Metrics {
 public:
  // `path` is reduced to its endpoint (/v1/corgi/runs/{id}/... counts as one).
  void CountRequest(const std::string& method, const std::string& path, int status);
  // One chat completion's engine timings (per-sequence prefill/decode speed).
  void AddTimings(const Timings& timings);
  // A worker starts / ends a job: the time with at least one job running is busy time,
  // the denominator of the throughput gauges.
  void JobStarted();
  void JobEnded();
  double BusySeconds() const;
  std::string Render(const ServerGauges& gauges, const EngineStats* engine) const;

  static std::string EndpointOf(const std::string& path);

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
  int64_t prefill_tokens_ = 0, decode_tokens_ = 0;
  double prefill_ms_ = 0, decode_ms_ = 0;
  int64_t jobs_running_ = 0;
  std::chrono::steady_clock::time_point busy_since_;
  double busy_s_ = 0;  // closed busy intervals
};

}  // namespace corgi::server
