// The corgi inference engine: the only interface the pipeline and apps use to run a
// vision-language model.
//
//   auto model = LoadModel("/models/qwen3-vl-2b");  // any registered family (model/registry.h)
//   auto engine = Engine::Create(model->get(), EngineOptions{});
//   Request r;
//   r.messages = {Message::User({ContentPart::Image(rgb), ContentPart::Text("What is this?")})};
//   r.max_tokens = 64;
//   StatusOr<Completion> c = (*engine)->Generate(r);
//
//   std::vector<StatusOr<Completion>> all = (*engine)->GenerateBatch({r1, r2, r3});
//
// Work shared between calls (DESIGN.md "Caches and batching"): a vision cache keyed by
// image content, preprocessing and model; a paged KV cache whose full pages are kept in
// a prefix tree (image tokens keyed by their image), so a prompt that starts like an
// earlier one resumes from its pages; GenerateBatch decodes its requests together (one
// matmul over all active rows per layer). Kernels are batch-invariant: under greedy
// sampling a request yields the same tokens alone, in any batch, with or without a cache
// hit (tests assert it bitwise on the logits).
//
// Scheduling: one long-lived loop thread owns the model's mutable state and runs
// everything. Callers on any thread Submit requests and Wait on (or stream, via
// Request::on_token, or Cancel) the returned handle; the loop admits new requests
// between decode steps, so requests of different callers decode together as one batch.
//
//   std::shared_ptr<PendingCompletion> p = engine->Submit(request);
//   ... p->Cancel();                       // from any thread; frees its KV pages at once
//   StatusOr<Completion> c = p->Wait();
//
// Ownership: the Engine borrows the Model (which must outlive it) and owns all mutable
// state: KV pages, caches, scratch, the thread pool, the loop thread (joined by the
// destructor, which cancels what is still running). Thread-safety: every method may be
// called from any thread; Stats never waits behind a running step.
// Failures: bad requests (prompt longer than the context, undecodable image, image token
// count mismatch) return InvalidArgument/OutOfRange before any model work; the engine
// never aborts on user input.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "corgi/core/cancel.h"
#include "corgi/core/status.h"
#include "corgi/core/thread_pool.h"
#include "corgi/engine/constraint.h"
#include "corgi/engine/sampler.h"
#include "corgi/image/image.h"
#include "corgi/image/preprocess.h"
#include "corgi/model/loaded_model.h"
#include "corgi/core/stage_observer.h"
#include "corgi/request/request.h"

namespace corgi {

class Scheduler;  // engine/scheduler.h

struct EngineOptions {
  int64_t threads = 0;            // 0: CORGI_THREADS or all cores
  int64_t max_context = 8192;     // KV cache capacity per sequence (tokens)
  int64_t prefill_chunk = 512;    // tokens per prefill step (bounds scratch memory)
  // Image pixel bounds for smart_resize: 0 keeps the checkpoint's own
  // (preprocessor_config.json); max_pixels is a cap (never above the checkpoint's).
  int64_t min_pixels = 0;
  int64_t max_pixels = 0;
  // KV cache: tokens per page and the byte budget of all pages (live sequences and the
  // prefix cache together; 0: room for 2 × max_context tokens, at least 4 pages).
  int64_t kv_page_tokens = 64;
  int64_t kv_cache_bytes = 0;
  bool prefix_cache = true;   // keep prompt pages for later requests to resume from
  // Vision cache byte budget (merged embeddings + DeepStack features); 0 disables it.
  int64_t vision_cache_bytes = int64_t{256} << 20;
  // Requests decoded together by GenerateBatch; 1 runs them one after another, each
  // with its own vision pass (the "naive" mode benchmarks compare against).
  int64_t max_batch = 16;
  // Prompt-lookup drafting: when the last tokens of a sequence (3, else 2) occurred
  // earlier in its prompt or output, tokens that followed them there are fed as a guess in
  // the same decode step, and each is kept only while it equals the token the model then
  // samples — the output is exactly that of plain decoding, in fewer steps where the text
  // repeats or copies (quotes of evidence, JSON keys). The guess length adapts per
  // sequence (from 4, doubling while guesses hold, shrinking after a miss) up to this
  // many tokens. 0: off.
  int64_t lookup_draft_tokens = 8;

  // No caches, one request at a time: what every call costs on its own.
  static EngineOptions Naive(EngineOptions base);
};

struct VisionCacheStats {
  int64_t hits = 0, misses = 0, entries = 0, bytes = 0, budget_bytes = 0, evictions = 0;
};

struct PrefixCacheStats {
  int64_t lookups = 0;        // prompts matched against the tree
  int64_t hits = 0;           // prompts that resumed from at least one cached token
  int64_t tokens_reused = 0;  // prompt tokens not recomputed
  int64_t tokens_computed = 0;
  int64_t nodes = 0;          // cached pages in the tree
  int64_t evictions = 0;      // cached pages dropped for room
};

struct KvStats {
  int64_t page_tokens = 0, page_bytes = 0, max_pages = 0;
  int64_t pages_in_use = 0;   // by live sequences or the prefix tree
  int64_t peak_pages = 0;     // most pages in use at once
  int64_t pages_allocated = 0;  // pages that hold memory
};

struct EngineStats {
  int64_t queued = 0;           // submitted, not yet admitted to the batch (now)
  int64_t active = 0;           // sequences being decoded (now)
  int64_t cancelled = 0;        // requests ended by Cancel or their CancelToken
  int64_t requests = 0;
  int64_t prompt_tokens = 0;
  int64_t generated_tokens = 0;
  int64_t images_encoded = 0;   // images run through the vision tower
  int64_t vision_passes = 0;    // vision tower invocations (a batch's images go in one)
  int64_t decode_steps = 0;     // forward steps of the decode loop
  int64_t decode_rows = 0;      // Σ sequences per decode step (rows / steps = mean batch)
  int64_t max_decode_batch = 0;
  int64_t draft_tokens = 0;           // tokens guessed by prompt lookup and fed to decode steps
  int64_t draft_tokens_accepted = 0;  // of those, the ones that equalled the sampled token
  int64_t longest_accepted_draft = 0; // the most guesses one sequence kept in one step
  int64_t decode_fed_rows = 0;        // Σ rows per decode step: each sequence's token and its draft
  // Time the engine's loop spent on each kind of work (wall clock, all threads together):
  // where a busy engine's time goes, e.g. how much of it decode steps can share.
  double vision_ms = 0;   // image preprocessing and vision tower passes
  double prefill_ms = 0;  // prompt prefill (after the cached prefix)
  double decode_ms = 0;   // decode steps: drafting, the batched forward, sampling
  VisionCacheStats vision_cache;
  PrefixCacheStats prefix_cache;
  KvStats kv;
};

// A submitted request: wait for its completion, or cancel it. Shared between the caller
// and the engine's loop; thread-safe.
class PendingCompletion {
 public:
  // Blocks until the request ends. The completion, or its failure: a bad request's
  // InvalidArgument/OutOfRange, Cancelled after Cancel. Call once (it moves the result).
  StatusOr<Completion> Wait();
  // Waits at most `ms` milliseconds; true when the request has ended.
  bool WaitFor(int64_t ms);
  bool done() const;
  // Ends the request at the next step boundary (Wait then returns Cancelled). Idempotent;
  // a request that already ended keeps its result.
  void Cancel();

  struct Shared;  // private to the engine
  explicit PendingCompletion(std::shared_ptr<Shared> shared) : shared_(std::move(shared)) {}

 private:
  std::shared_ptr<Shared> shared_;
};

class Engine {
 public:
  // The engine for one model of any family. InvalidArgument for nonsensical options.
  static StatusOr<std::unique_ptr<Engine>> Create(const LoadedModel* model, const EngineOptions& options);
  ~Engine();

  // Queues the request (copied) for the loop and returns at once. Requests submitted in
  // one SubmitBatch call are taken up together: their uncached images go through the
  // vision tower in one pass. Up to max_batch sequences decode together (more wait for a
  // slot, as do sequences whose KV pages do not fit yet); a bad request fails alone.
  std::shared_ptr<PendingCompletion> Submit(Request request);
  std::vector<std::shared_ptr<PendingCompletion>> SubmitBatch(std::vector<Request> requests);

  // Conveniences over Submit/Wait.
  StatusOr<Completion> Generate(const Request& request);
  // One result per request, in order (max_batch 1: one after another, each with its
  // own vision pass).
  std::vector<StatusOr<Completion>> GenerateBatch(const std::vector<Request>& requests);
  EngineStats Stats() const;
  const EngineOptions& options() const { return options_; }
  const LoadedModel& model() const { return *model_; }
  // How this engine preprocesses images (the checkpoint's config with the options' bounds).
  const VisionPreprocessParams& preprocess_params() const { return preprocess_; }

 private:
  Engine(const LoadedModel* model, const EngineOptions& options);
  struct State;
  const LoadedModel* model_;
  EngineOptions options_;
  VisionPreprocessParams preprocess_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<State> state_;
  std::unique_ptr<Scheduler> scheduler_;  // last: stopped first
  friend class Scheduler;
};

}  // namespace corgi
