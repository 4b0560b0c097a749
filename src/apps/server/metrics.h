// /metrics in Prometheus text format (0.0.4): requests by endpoint and status, the queue,
// and the engine's counters and cache ratios (Engine::Stats). Thread-safe.
#pragma once

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
  // One chat completion's engine timings (prefill/decode throughput).
  void AddTimings(const Timings& timings);
  std::string Render(const ServerGauges& gauges, const EngineStats* engine) const;

  static std::string EndpointOf(const std::string& path);

 private:
  mutable std::mutex mu_;
  std::map<std::pair<std::string, int>, int64_t> requests_;
  int64_t prefill_tokens_ = 0, decode_tokens_ = 0;
  double prefill_ms_ = 0, decode_ms_ = 0;
};

}  // namespace corgi::server
