// The server's work: a bounded queue of jobs run by --parallel worker threads, and the
// channel each job answers through. HTTP threads parse and validate a request, submit a
// job and wait on its channel (or stream from it); workers run the job (an engine
// completion, a CoRGI query) and push chunks and one final answer.
//
// A job has a CancelToken (cancelled by its deadline, a client that hung up, or
// shutdown) and a reason, so the answer says which (504, or nothing to a gone client).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "apps/server/http_common.h"
#include "corgi/core/cancel.h"

namespace corgi::server {

enum class CancelReason { kNone, kDeadline, kClientGone, kShutdown };

// Chunks from a worker to one HTTP thread, then the final answer. Thread-safe.
class JobChannel {
 public:
  void Push(std::string chunk);
  // The final answer: an HTTP status and body (the whole response when nothing was
  // streamed; for a stream, 200 and the closing chunk, or an error status and its JSON).
  void Finish(int status, std::string body);

  enum class Next { kChunk, kFinished, kTimeout };
  // Waits up to `until` for a chunk (moved into *chunk) or the finish.
  Next Wait(std::chrono::steady_clock::time_point until, std::string* chunk);
  // Waits for the finish only (chunks are kept). True when finished before `until`.
  bool WaitFinished(std::chrono::steady_clock::time_point until);
  int status() const;
  std::string body() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> chunks_;
  bool finished_ = false;
  int status_ = 0;
  std::string body_;
};

struct Job {
  CancelToken cancel;
  std::chrono::steady_clock::time_point deadline;
  JobChannel channel;
  std::function<void(Job*)> run;  // the work; ends with channel.Finish

  void Cancel(CancelReason reason);
  CancelReason reason() const;

 private:
  mutable std::mutex mu_;
  CancelReason reason_ = CancelReason::kNone;
};

// The error a cancelled job answers with: 504 (deadline), 503 (shutdown), 499 (the
// client hung up: nobody reads it).
ApiError CancelledError(CancelReason reason);

class JobQueue {
 public:
  // Starts `workers` threads. ResourceExhausted when the system refuses to start one (the
  // ones started are joined again), instead of the std::system_error that would abort.
  static StatusOr<std::unique_ptr<JobQueue>> Create(int64_t workers, int64_t max_waiting);
  ~JobQueue();  // cancels what is left (kShutdown) and joins

  // False when max_waiting jobs already wait (the caller answers 503).
  bool Submit(std::shared_ptr<Job> job);
  int64_t waiting() const;
  int64_t running() const;
  // Cancels every queued and running job.
  void CancelAll(CancelReason reason);
  // Waits until nothing runs or waits; true if that happened before `until`.
  bool WaitIdle(std::chrono::steady_clock::time_point until);

 private:
  explicit JobQueue(int64_t max_waiting) : max_waiting_(max_waiting) {}
  void Work();

  const int64_t max_waiting_;
  mutable std::mutex mu_;
  std::condition_variable cv_, idle_cv_;
  std::deque<std::shared_ptr<Job>> waiting_;
  std::set<std::shared_ptr<Job>> running_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace corgi::server
