// Private: one GenerateBatch call. Prepares every request (prompt, constraint, cache
// keys), runs the images the vision cache lacks through the tower in one pass, then
// schedules: sequences are admitted while a batch slot and their KV pages are free,
// prefilled one by one (resuming from the prefix cache), and decoded together — one
// forward step over all active sequences' rows — until each ends.
#pragma once

#include <memory>
#include <vector>

#include "corgi/engine.h"
#include "engine/engine_state.h"
#include "engine/sequence.h"

namespace corgi {

class BatchRun {
 public:
  BatchRun(Engine* engine, const std::vector<const Request*>& requests);
  std::vector<StatusOr<Completion>> Run();

 private:
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
  void Finish(Sequence& s);

  Engine* engine_;
  const qwen3vl::Model& model_;
  Engine::State& st_;
  std::vector<std::unique_ptr<Sequence>> seqs_;
  std::vector<float> prefill_logits_;  // [V]
};

}  // namespace corgi
