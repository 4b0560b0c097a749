// CancelToken: a flag shared by whoever may cancel some work (a client that hung up, a
// deadline, Ctrl-C) and the code doing it, which checks it at safe points (the engine
// between decode steps, the pipeline between calls).
//
//   CancelToken token;                 // shares one flag with every copy
//   request.cancel = token;            // the engine ends the request at its next step
//   token.Cancel();                    // from any thread
//
// Thread-safety: copies share the flag; Cancel and cancelled may race freely.
#pragma once

#include <atomic>
#include <memory>

namespace corgi {

class CancelToken {
 public:
  CancelToken() : flag_(std::make_shared<std::atomic<bool>>(false)) {}
  void Cancel() const { flag_->store(true, std::memory_order_relaxed); }
  bool cancelled() const { return flag_->load(std::memory_order_relaxed); }
  bool SameAs(const CancelToken& other) const { return flag_ == other.flag_; }

 private:
  std::shared_ptr<std::atomic<bool>> flag_;
};

}  // namespace corgi
