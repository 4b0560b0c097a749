// The request vocabulary every model backend shares: messages with text and images,
// a request (sampling, budget, stops, constraint, streaming callback, cancellation) and
// its completion. The local engine (corgi/engine.h) and remote Vlms
// (pipeline/remote_vlm.h) both take these, so code that builds requests — the pipeline,
// the server's parsers — depends on neither the engine nor a model family.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "corgi/core/cancel.h"
#include "corgi/core/stage_observer.h"
#include "corgi/image/image.h"
#include "corgi/request/constraint.h"
#include "corgi/request/sampling.h"

namespace corgi {

struct ContentPart {
  enum class Kind { kText, kImage };
  Kind kind = Kind::kText;
  std::string text;                         // kText
  std::shared_ptr<const RgbImage> image;    // kImage (decoded RGB)

  static ContentPart Text(std::string text);
  static ContentPart Image(RgbImage image);
};

struct Message {
  std::string role;  // "system" | "user" | "assistant"
  std::vector<ContentPart> content;

  static Message System(std::string text);
  static Message User(std::vector<ContentPart> content);
  static Message Assistant(std::string text);
};

enum class FinishReason { kEos, kStop, kLength };
const char* FinishReasonName(FinishReason reason);  // "eos", "stop", "length"

struct Request {
  std::vector<Message> messages;
  SamplingParams sampling;                // default: greedy
  int64_t max_tokens = 256;
  std::vector<std::string> stop;          // stop strings (not included in the text)
  bool ignore_eos = false;                // benchmarks: always generate max_tokens
  Constraint constraint;                  // grammar the completion must satisfy (none by default)
  // Called for each generated token with the text it completes (may be empty while a
  // multi-byte character is pending). Return false to stop generation (reason kStop).
  // Runs on the engine's loop thread: keep it short and never call the engine from it.
  std::function<bool(int32_t token, const std::string& text_piece)> on_token;
  // Cancelled → the request ends at the next step boundary with a Cancelled status and
  // its KV pages are freed (a client hung up, a deadline passed).
  std::optional<CancelToken> cancel;
  // Copy the logits the first token is sampled from (before any constraint mask) into
  // Completion::prefill_logits — for tests and debugging.
  bool keep_prefill_logits = false;
  // Local engine only (a remote Vlm ignores it): sees named intermediate tensors (vision,
  // positions, layer outputs, logits) — `--dump`. A request with an observer bypasses the
  // caches, so every stage is computed.
  const StageObserver* observer = nullptr;
};

struct Timings {
  double preprocess_ms = 0;  // decode-free: resize + normalize + patchify
  double vision_ms = 0;
  double prefill_ms = 0;
  double decode_ms = 0;
  int64_t prompt_tokens = 0;
  int64_t generated_tokens = 0;
  double prefill_tokens_per_s() const { return prefill_ms > 0 ? prompt_tokens * 1000.0 / prefill_ms : 0; }
  double decode_tokens_per_s() const {
    return decode_ms > 0 && generated_tokens > 1 ? (generated_tokens - 1) * 1000.0 / decode_ms : 0;
  }
};

struct Completion {
  std::string text;
  std::vector<int32_t> tokens;
  FinishReason finish = FinishReason::kLength;
  Timings timings;
  int64_t prefix_tokens_reused = 0;  // prompt tokens whose KV came from the prefix cache
  int64_t images_from_cache = 0;     // images whose features came from the vision cache
  std::vector<float> prefill_logits; // [V] when Request::keep_prefill_logits
};

}  // namespace corgi
