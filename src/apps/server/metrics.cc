#include "apps/server/metrics.h"

#include <sstream>

namespace corgi::server {

std::string Metrics::EndpointOf(const std::string& path) {
  static const char* kExact[] = {"/", "/app.js", "/style.css", "/health", "/metrics",
                                 "/v1/models", "/v1/chat/completions", "/v1/corgi/ask"};
  for (const char* e : kExact)
    if (path == e) return e;
  if (path.rfind("/v1/corgi/runs/", 0) == 0) return "/v1/corgi/runs";
  return "other";
}

void Metrics::CountRequest(const std::string& method, const std::string& path, int status) {
  std::lock_guard<std::mutex> lock(mu_);
  ++requests_[{method + " " + EndpointOf(path), status}];
}

void Metrics::AddTimings(const Timings& t) {
  std::lock_guard<std::mutex> lock(mu_);
  prefill_tokens_ += t.prompt_tokens;
  prefill_ms_ += t.prefill_ms;
  if (t.generated_tokens > 1) {
    decode_tokens_ += t.generated_tokens - 1;
    decode_ms_ += t.decode_ms;
  }
}

namespace {

void Metric(std::ostringstream& s, const char* name, const char* type, const char* help,
            double value) {
  s << "# HELP " << name << " " << help << "\n# TYPE " << name << " " << type << "\n"
    << name << " " << value << "\n";
}

double Ratio(int64_t a, int64_t b) { return b > 0 ? static_cast<double>(a) / b : 0; }

}  // namespace

std::string Metrics::Render(const ServerGauges& g, const EngineStats* e) const {
  std::ostringstream s;
  s.precision(10);
  {
    std::lock_guard<std::mutex> lock(mu_);
    s << "# HELP corgi_http_requests_total HTTP requests answered, by endpoint and status.\n"
         "# TYPE corgi_http_requests_total counter\n";
    for (const auto& [key, count] : requests_) {
      size_t space = key.first.find(' ');
      s << "corgi_http_requests_total{method=\"" << key.first.substr(0, space)
        << "\",endpoint=\"" << key.first.substr(space + 1) << "\",status=\"" << key.second
        << "\"} " << count << "\n";
    }
    Metric(s, "corgi_prefill_tokens_per_second", "gauge",
           "Mean prefill throughput of chat completions so far.",
           prefill_ms_ > 0 ? prefill_tokens_ * 1000.0 / prefill_ms_ : 0);
    Metric(s, "corgi_decode_tokens_per_second", "gauge",
           "Mean decode throughput (per sequence) of chat completions so far.",
           decode_ms_ > 0 ? decode_tokens_ * 1000.0 / decode_ms_ : 0);
  }
  Metric(s, "corgi_model_loaded", "gauge", "1 once the model is loaded.", g.loaded ? 1 : 0);
  Metric(s, "corgi_queue_depth", "gauge",
         "Requests waiting: for a server worker plus, in the engine, for a batch slot.",
         static_cast<double>(g.jobs_waiting + (e ? e->queued : 0)));
  Metric(s, "corgi_jobs_running", "gauge", "Requests being worked on by server workers.",
         static_cast<double>(g.jobs_running));
  Metric(s, "corgi_runs_kept", "gauge", "CoRGI runs whose files are kept.",
         static_cast<double>(g.runs_kept));
  Metric(s, "corgi_runs_bytes", "gauge", "Bytes of the kept runs.",
         static_cast<double>(g.runs_bytes));
  if (e == nullptr) return s.str();
  Metric(s, "corgi_engine_queued", "gauge", "Engine requests not yet admitted to the batch.",
         static_cast<double>(e->queued));
  Metric(s, "corgi_active_sequences", "gauge", "Sequences being decoded.",
         static_cast<double>(e->active));
  Metric(s, "corgi_engine_requests_total", "counter", "Engine requests.",
         static_cast<double>(e->requests));
  Metric(s, "corgi_engine_cancelled_total", "counter", "Engine requests cancelled.",
         static_cast<double>(e->cancelled));
  Metric(s, "corgi_prompt_tokens_total", "counter", "Prompt tokens of all engine requests.",
         static_cast<double>(e->prompt_tokens));
  Metric(s, "corgi_tokens_generated_total", "counter", "Tokens generated.",
         static_cast<double>(e->generated_tokens));
  Metric(s, "corgi_decode_steps_total", "counter", "Decode steps.",
         static_cast<double>(e->decode_steps));
  Metric(s, "corgi_mean_decode_batch", "gauge", "Sequences per decode step, on average.",
         Ratio(e->decode_rows, e->decode_steps));
  Metric(s, "corgi_images_encoded_total", "counter", "Images run through the vision tower.",
         static_cast<double>(e->images_encoded));
  Metric(s, "corgi_vision_cache_hit_ratio", "gauge", "Vision cache hits / lookups.",
         Ratio(e->vision_cache.hits, e->vision_cache.hits + e->vision_cache.misses));
  Metric(s, "corgi_vision_cache_bytes", "gauge", "Bytes held by the vision cache.",
         static_cast<double>(e->vision_cache.bytes));
  Metric(s, "corgi_prefix_cache_hit_ratio", "gauge",
         "Prompts that resumed from the prefix cache / prompts looked up.",
         Ratio(e->prefix_cache.hits, e->prefix_cache.lookups));
  Metric(s, "corgi_prefix_cache_token_ratio", "gauge",
         "Prompt tokens reused from the prefix cache / all prompt tokens.",
         Ratio(e->prefix_cache.tokens_reused,
               e->prefix_cache.tokens_reused + e->prefix_cache.tokens_computed));
  Metric(s, "corgi_kv_pages_in_use", "gauge", "KV pages held by sequences or the prefix tree.",
         static_cast<double>(e->kv.pages_in_use));
  Metric(s, "corgi_kv_pages_max", "gauge", "KV pages the budget allows.",
         static_cast<double>(e->kv.max_pages));
  return s.str();
}

}  // namespace corgi::server
