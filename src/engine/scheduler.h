// Private: the engine's one long-lived loop (engine.h "Scheduling"). It owns every
// sequence from submission to completion and runs on its own thread:
//
//   arrivals  → Prepare (prompt, constraint, cache keys) → EncodeImages (one tower pass
//               per submitted group, cached images skipped) → pending
//   pending   → admitted while a batch slot and the KV pages are free: prefix match +
//               prefill, first token sampled → active
//   active    → one decode step over all rows (with prompt-lookup drafts) → sampled,
//               checked for stop/EOS/budget/cancellation → finished → delivered
//
// New requests are taken between decode steps, so callers on other threads join the
// running batch. Cancellation is checked at every step boundary; a cancelled sequence
// releases its KV pages before its Wait returns.
#pragma once

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "corgi/engine.h"
#include "engine/engine_state.h"
#include "engine/sequence.h"

namespace corgi {

// What a PendingCompletion and the loop share.
struct PendingCompletion::Shared {
  Request request;
  CancelToken cancel;  // the request's own token, or one made for it
  std::mutex mutex;
  std::condition_variable cv;
  bool done = false;
  std::optional<StatusOr<Completion>> result;

  void Deliver(StatusOr<Completion> r);
};

class Scheduler {
 public:
  explicit Scheduler(Engine* engine);
  ~Scheduler();  // cancels what is still queued or running, joins the loop
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Requests of one call are taken up together (one vision pass for their images).
  void Submit(std::vector<std::shared_ptr<PendingCompletion::Shared>> group);
  EngineStats Stats() const;  // the snapshot published after the latest loop iteration

 private:
  using Group = std::vector<std::shared_ptr<PendingCompletion::Shared>>;
  void Loop();
  // One iteration's work once arrivals are taken: prepare/encode them, admit, decode.
  void TakeArrivals(std::vector<Group> arrivals);
  void AdmitPending();
  void StepActive();
  void DeliverFinished();
  void PublishStats();
  void CancelEverything(const Status& why);

  void Prepare(Sequence& s);
  // Features for every image of `seqs`: the cache's, or one tower pass over the rest.
  void EncodeImages(const std::vector<Sequence*>& seqs);
  int64_t PagesNeeded(const Sequence& s) const;
  Status Admit(Sequence& s);    // prefix match, pages, prefill; leaves logits ready
  Status Prefill(Sequence& s);
  void SampleNext(Sequence& s);  // samples from s.logits; may end the sequence
  void Draft(Sequence& s);  // fills s.draft by prompt lookup (may leave it empty)
  // One forward step: per sequence next_token and its draft. Leaves each sequence's rows
  // of logits in step_logits_ (row 0 at s.logits).
  Status DecodeStep(const std::vector<Sequence*>& active);
  // Samples from the step's rows in order while the draft holds; rewinds the KV length to
  // the rows that stay valid.
  void AcceptStep(Sequence& s);
  void Finish(Sequence& s);  // releases the pages; the sequence is then delivered

  Engine* engine_;
  const LoadedModel& model_;
  Engine::State& st_;
  std::vector<float> prefill_logits_;  // [V]

  // Owned by the loop thread only.
  std::vector<std::unique_ptr<Sequence>> live_;  // every sequence not yet delivered
  std::deque<Sequence*> pending_;                // prepared, waiting for a slot
  std::vector<Sequence*> active_;                // decoding

  // Shared with submitters.
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<Group> incoming_;
  int64_t incoming_count_ = 0;
  bool stopping_ = false;

  mutable std::mutex stats_mutex_;
  EngineStats published_;

  std::thread thread_;  // last: started once everything above exists
};

}  // namespace corgi
