// Private: one request's life inside the engine's scheduler loop.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "corgi/engine.h"
#include "corgi/engine/prompt.h"
#include "corgi/model/kv_pages.h"
#include "engine/prefix_cache.h"
#include "engine/vision_cache.h"

namespace corgi {

struct Sequence {
  using Clock = std::chrono::steady_clock;

  std::shared_ptr<PendingCompletion::Shared> shared;  // where the result goes
  const Request* request = nullptr;                   // &shared->request
  Status status;     // the first error; the sequence stops at it
  bool use_caches = true;  // false when an observer must see every stage computed

  PreparedPrompt prompt;
  std::vector<TokenKey> keys;  // [S] prefix-cache keys of the prompt tokens
  std::vector<std::shared_ptr<const ImageFeatures>> features;  // per prompt image
  int64_t budget = 0;          // tokens that may be generated
  std::unique_ptr<TokenMatcher> matcher;
  std::optional<Sampler> sampler;
  std::optional<TokenStreamDecoder> detok;

  KvSequence kv;
  const float* logits = nullptr;  // [V] for the next sample (scratch owned by the run)
  int32_t next_token = -1;        // sampled, to feed to the next decode step
  std::vector<int32_t> draft;     // guessed tokens fed after next_token in this step
  int64_t draft_limit = 0;        // the most tokens the next draft may hold (adapts, see Draft)
  bool done = false;      // no more tokens will be generated
  bool finished = false;  // Finish ran: pages released, ready to deliver
  bool stop_string_hit = false;
  Clock::time_point decode_start;
  Completion out;

  bool ok() const { return status.ok(); }
  bool cancelled() const;  // the request's CancelToken fired (scheduler_loop.cc)
  int64_t prompt_length() const { return static_cast<int64_t>(prompt.tokens.size()); }
  void Fail(Status s) {
    if (status.ok()) status = std::move(s);
    done = true;
  }
};

}  // namespace corgi
