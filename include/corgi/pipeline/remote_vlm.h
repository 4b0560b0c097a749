// A Vlm served by OpenAI-compatible chat-completions endpoints (vLLM, SGLang,
// llama-server, corgi serve, ...): each call becomes one HTTP request with its image as a
// data: URL, its sampling, budget and stops, and its constraint in the server's dialect
// (docs/REMOTE.md). Several endpoints of one model are load-balanced; failures are
// retried with backoff; every request has a timeout.
//
//   pipeline::RemoteModelConfig config;
//   config.endpoints.push_back({.url = "http://gpu1:8000/v1", .model = "Qwen/Qwen3-VL-8B-Instruct",
//                               .dialect = "vllm"});
//   auto vlm = pipeline::RemoteVlm::Create(config);
//   StatusOr<Completion> c = (*vlm)->Generate(request, {"caption", 2});
//
// Ownership: owns its HTTP connections. Thread-safety: Generate and GenerateBatch may be
// called from any number of threads (in-flight requests are bounded per endpoint).
// Failures: Create checks the configuration and the API-key variables (FailedPrecondition
// naming the variable); Generate returns Cancelled when the request's token fires,
// InvalidArgument for a request the server refuses (4xx other than 408/429), and
// Unavailable-like IoError/DeadlineExceeded/DataLoss after the retries are spent.
// Depends on neither the engine nor a model family (CheckLayers enforces it).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "corgi/pipeline/config.h"
#include "corgi/pipeline/vlm.h"

namespace corgi::pipeline {

struct RemoteEndpointStats {
  std::string url;
  int64_t requests = 0;   // HTTP exchanges started (retries included)
  int64_t failures = 0;   // retryable failures among them
  int64_t ejections = 0;  // times taken out of rotation
};

class RemoteVlm : public Vlm {
 public:
  static StatusOr<std::unique_ptr<RemoteVlm>> Create(const RemoteModelConfig& config);
  ~RemoteVlm() override;

  StatusOr<Completion> Generate(const Request& request, const CallInfo& call) override;
  // The requests run concurrently (bounded by the endpoints' max_in_flight).
  std::vector<StatusOr<Completion>> GenerateBatch(const std::vector<Request>& requests,
                                                  const std::vector<CallInfo>& calls) override;
  std::string name() const override;
  GroundingSpace grounding_space() const override;
  StatusOr<std::pair<int64_t, int64_t>> ModelInputSize(int64_t height, int64_t width) const override;

  std::vector<RemoteEndpointStats> Stats() const;
  int64_t retries() const;  // calls repeated after a retryable failure, over all endpoints

 private:
  struct Impl;
  explicit RemoteVlm(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace corgi::pipeline
