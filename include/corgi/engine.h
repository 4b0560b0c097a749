// The corgi inference engine: the only interface the pipeline and apps use to run a
// vision-language model.
//
//   auto model = qwen3vl::Model::Load("/models/qwen3-vl-2b");
//   auto engine = Engine::Create(model->get(), EngineOptions{});
//   Request r;
//   r.messages = {Message::User({ContentPart::Image(rgb), ContentPart::Text("What is this?")})};
//   r.max_tokens = 64;
//   StatusOr<Completion> c = (*engine)->Generate(r);
//
// Ownership: the Engine borrows the Model (which must outlive it) and owns all mutable
// state: KV caches, scratch, the thread pool. Thread-safety: Generate serializes callers
// internally (one request runs at a time in this version); Stats is safe to call anytime.
// Failures: bad requests (prompt longer than the context, undecodable image, image token
// count mismatch) return InvalidArgument/OutOfRange before any model work; the engine
// never aborts on user input.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/engine/constraint.h"
#include "corgi/engine/sampler.h"
#include "corgi/image/image.h"
#include "corgi/image/preprocess.h"
#include "corgi/model/qwen3vl/model.h"
#include "corgi/model/qwen3vl/stage_observer.h"

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
  std::function<bool(int32_t token, const std::string& text_piece)> on_token;
  // Sees named intermediate tensors (vision, positions, layer outputs, logits) — `--dump`.
  const qwen3vl::StageObserver* observer = nullptr;
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
  int64_t prefix_tokens_reused = 0;  // prefix cache (later)
  int64_t images_from_cache = 0;     // vision cache (later)
};

struct EngineOptions {
  int64_t threads = 0;            // 0: CORGI_THREADS or all cores
  int64_t max_context = 8192;     // KV cache capacity per sequence (tokens)
  int64_t prefill_chunk = 512;    // tokens per prefill step (bounds scratch memory)
  // Image pixel bounds for smart_resize: 0 keeps the checkpoint's own
  // (preprocessor_config.json); max_pixels is a cap (never above the checkpoint's).
  int64_t min_pixels = 0;
  int64_t max_pixels = 0;
};

struct EngineStats {
  int64_t requests = 0;
  int64_t prompt_tokens = 0;
  int64_t generated_tokens = 0;
  int64_t images_encoded = 0;
};

class Engine {
 public:
  // The engine for one model. InvalidArgument for nonsensical options.
  static StatusOr<std::unique_ptr<Engine>> Create(const qwen3vl::Model* model, const EngineOptions& options);
  ~Engine();

  StatusOr<Completion> Generate(const Request& request);
  EngineStats Stats() const;
  const qwen3vl::Model& model() const { return *model_; }
  // How this engine preprocesses images (the checkpoint's config with the options' bounds).
  const VisionPreprocessParams& preprocess_params() const { return preprocess_; }

 private:
  Engine(const qwen3vl::Model* model, const EngineOptions& options);
  struct State;
  const qwen3vl::Model* model_;
  EngineOptions options_;
  VisionPreprocessParams preprocess_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<State> state_;
  mutable std::mutex mutex_;
};

}  // namespace corgi
