// The scheduler's loop: arrivals, admission, decode steps, cancellation, delivery.
#include <algorithm>

#include "corgi/core/log.h"
#include "engine/scheduler.h"

namespace corgi {

void PendingCompletion::Shared::Deliver(StatusOr<Completion> r) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    result.emplace(std::move(r));
    done = true;
  }
  cv.notify_all();
}

StatusOr<Completion> PendingCompletion::Wait() {
  std::unique_lock<std::mutex> lock(shared_->mutex);
  shared_->cv.wait(lock, [&] { return shared_->done; });
  CORGI_CHECK(shared_->result.has_value()) << "PendingCompletion::Wait called twice";
  StatusOr<Completion> r = std::move(*shared_->result);
  shared_->result.reset();
  return r;
}

bool PendingCompletion::WaitFor(int64_t ms) {
  std::unique_lock<std::mutex> lock(shared_->mutex);
  return shared_->cv.wait_for(lock, std::chrono::milliseconds(std::max<int64_t>(ms, 0)),
                              [&] { return shared_->done; });
}

bool PendingCompletion::done() const {
  std::lock_guard<std::mutex> lock(shared_->mutex);
  return shared_->done;
}

void PendingCompletion::Cancel() { shared_->cancel.Cancel(); }

bool Sequence::cancelled() const { return shared->cancel.cancelled(); }

Scheduler::Scheduler(Engine* engine)
    : engine_(engine), model_(*engine->model_), st_(*engine->state_) {
  PublishStats();
  thread_ = std::thread([this] { Loop(); });
}

Scheduler::~Scheduler() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Scheduler::Submit(Group group) {
  if (group.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stopping_) {
      for (auto& g : group) g->Deliver(CancelledError("the engine is shutting down"));
      return;
    }
    incoming_count_ += static_cast<int64_t>(group.size());
    incoming_.push_back(std::move(group));
  }
  wake_.notify_all();
}

EngineStats Scheduler::Stats() const {
  EngineStats s;
  {
    std::lock_guard<std::mutex> lock(stats_mutex_);
    s = published_;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  s.queued += incoming_count_;
  return s;
}

void Scheduler::PublishStats() {
  EngineStats s = st_.stats;
  if (st_.vision != nullptr) s.vision_cache = st_.vision->stats();
  s.prefix_cache = st_.prefix->stats();
  s.kv.page_tokens = st_.kv->page_rows();
  s.kv.page_bytes = st_.kv->page_bytes();
  s.kv.max_pages = st_.kv->max_pages();
  s.kv.pages_in_use = st_.kv->pages_in_use();
  s.kv.peak_pages = st_.prefix->peak_pages();
  s.kv.pages_allocated = st_.kv->pages_allocated();
  s.queued = static_cast<int64_t>(pending_.size());
  s.active = static_cast<int64_t>(active_.size());
  std::lock_guard<std::mutex> lock(stats_mutex_);
  published_ = s;
}

void Scheduler::Loop() {
  for (;;) {
    std::vector<Group> arrivals;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !incoming_.empty() || !pending_.empty() || !active_.empty(); });
      if (stopping_) break;
      arrivals.swap(incoming_);
      incoming_count_ = 0;
    }
    TakeArrivals(std::move(arrivals));
    AdmitPending();
    StepActive();
    // Stats first, so a caller that reads Stats() after Wait sees its request counted.
    PublishStats();
    DeliverFinished();
  }
  std::vector<Group> left;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    left.swap(incoming_);
    incoming_count_ = 0;
  }
  const Status down = CancelledError("the engine is shutting down");
  for (Group& g : left)
    for (auto& shared : g) shared->Deliver(down);
  CancelEverything(down);
  PublishStats();
  DeliverFinished();
}

void Scheduler::TakeArrivals(std::vector<Group> arrivals) {
  for (Group& group : arrivals) {
    std::vector<Sequence*> ready;
    for (auto& shared : group) {
      auto s = std::make_unique<Sequence>();
      s->shared = shared;
      s->request = &shared->request;
      if (s->cancelled()) {
        s->Fail(CancelledError("cancelled before it started"));
      } else {
        Prepare(*s);
      }
      if (s->ok()) {
        ready.push_back(s.get());
      } else {
        Finish(*s);
      }
      live_.push_back(std::move(s));
    }
    if (engine_->options_.max_batch == 1) {
      // The naive mode: each request has its own vision pass.
      for (Sequence* s : ready) EncodeImages({s});
    } else {
      EncodeImages(ready);
    }
    for (Sequence* s : ready) {
      if (s->ok()) {
        pending_.push_back(s);
      } else {
        Finish(*s);
      }
    }
  }
}

void Scheduler::AdmitPending() {
  // Requests cancelled while they waited leave the queue first.
  for (auto it = pending_.begin(); it != pending_.end();) {
    if ((*it)->cancelled()) {
      (*it)->Fail(CancelledError("cancelled while queued"));
      Finish(**it);
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
  // Admit in arrival order while a batch slot and the sequence's KV pages are free.
  const int64_t max_batch = engine_->options_.max_batch;
  while (!pending_.empty() && static_cast<int64_t>(active_.size()) < max_batch) {
    Sequence& s = *pending_.front();
    const int64_t need = PagesNeeded(s);
    if (need > st_.prefix->AvailablePages()) {
      if (!active_.empty()) break;  // wait for a running sequence to free its pages
      s.Fail(ResourceExhaustedError(
          "the request needs " + std::to_string(need) + " KV pages of " + std::to_string(st_.kv->page_rows()) +
          " tokens (" + std::to_string(s.prompt_length()) + " prompt + " + std::to_string(s.budget) +
          " generated) but the KV cache holds " + std::to_string(st_.kv->max_pages()) +
          " (raise engine.kv_cache_mb or lower max_tokens)"));
      Finish(s);
      pending_.pop_front();
      continue;
    }
    pending_.pop_front();
    Status admitted = Admit(s);
    if (!admitted.ok()) {
      s.Fail(admitted);
      Finish(s);
      continue;
    }
    s.decode_start = Sequence::Clock::now();
    SampleNext(s);
    if (s.done) {
      Finish(s);
    } else {
      active_.push_back(&s);
    }
  }
}

void Scheduler::StepActive() {
  if (active_.empty()) return;
  for (Sequence* s : active_)
    if (s->cancelled()) s->Fail(CancelledError("cancelled"));
  std::vector<Sequence*> stepping;
  for (Sequence* s : active_) {
    if (s->done) {
      Finish(*s);
    } else {
      stepping.push_back(s);
    }
  }
  if (!stepping.empty()) {
    const auto t0 = std::chrono::steady_clock::now();
    if (engine_->options_.lookup_draft_tokens > 0)
      for (Sequence* s : stepping) Draft(*s);
    Status stepped = DecodeStep(stepping);
    for (Sequence* s : stepping) {
      if (stepped.ok()) {
        AcceptStep(*s);
      } else {
        s->Fail(stepped);
      }
      if (s->done) Finish(*s);
    }
    st_.stats.decode_ms += std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  }
  active_.erase(std::remove_if(active_.begin(), active_.end(), [](Sequence* s) { return s->finished; }),
                active_.end());
}

void Scheduler::CancelEverything(const Status& why) {
  for (Sequence* s : pending_) {
    s->Fail(why);
    Finish(*s);
  }
  pending_.clear();
  for (Sequence* s : active_) {
    s->Fail(why);
    Finish(*s);
  }
  active_.clear();
}

void Scheduler::DeliverFinished() {
  for (auto& s : live_) {
    if (!s->finished) continue;
    if (s->ok()) {
      s->shared->Deliver(std::move(s->out));
    } else {
      s->shared->Deliver(s->status);
    }
  }
  live_.erase(std::remove_if(live_.begin(), live_.end(), [](const auto& s) { return s->finished; }), live_.end());
}

}  // namespace corgi
