#include "apps/server/jobs.h"

namespace corgi::server {

void JobChannel::Push(std::string chunk) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    chunks_.push_back(std::move(chunk));
  }
  cv_.notify_all();
}

void JobChannel::Finish(int status, std::string body) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (finished_) return;
    finished_ = true;
    status_ = status;
    body_ = std::move(body);
  }
  cv_.notify_all();
}

JobChannel::Next JobChannel::Wait(std::chrono::steady_clock::time_point until, std::string* chunk) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_until(lock, until, [&] { return finished_ || !chunks_.empty(); });
  if (!chunks_.empty()) {
    *chunk = std::move(chunks_.front());
    chunks_.pop_front();
    return Next::kChunk;
  }
  return finished_ ? Next::kFinished : Next::kTimeout;
}

bool JobChannel::WaitFinished(std::chrono::steady_clock::time_point until) {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_until(lock, until, [&] { return finished_; });
}

int JobChannel::status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return status_;
}

std::string JobChannel::body() const {
  std::lock_guard<std::mutex> lock(mu_);
  return body_;
}

void Job::Cancel(CancelReason reason) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (reason_ == CancelReason::kNone) reason_ = reason;
  }
  cancel.Cancel();
}

CancelReason Job::reason() const {
  std::lock_guard<std::mutex> lock(mu_);
  return reason_;
}

ApiError CancelledError(CancelReason reason) {
  ApiError e;
  e.type = "server_error";
  switch (reason) {
    case CancelReason::kDeadline:
      e.status = 504;
      e.code = "timeout";
      e.message = "the request ran past the server's deadline and was cancelled";
      break;
    case CancelReason::kShutdown:
      e.status = 503;
      e.code = "shutting_down";
      e.message = "the server is shutting down";
      break;
    default:
      e.status = 499;
      e.code = "client_closed_request";
      e.message = "the client closed the connection";
      break;
  }
  return e;
}

StatusOr<std::unique_ptr<JobQueue>> JobQueue::Create(int64_t workers, int64_t max_waiting) {
  std::unique_ptr<JobQueue> queue(new JobQueue(max_waiting));
  try {
    queue->threads_.reserve(static_cast<size_t>(workers));
    for (int64_t i = 0; i < workers; ++i) queue->threads_.emplace_back([q = queue.get()] { q->Work(); });
  } catch (const std::exception& e) {  // std::system_error (EAGAIN) or std::bad_alloc
    const size_t started = queue->threads_.size();
    queue.reset();  // stops and joins the workers that did start
    return ResourceExhaustedError("cannot start " + std::to_string(workers) + " request workers (the system refused after " +
                                  std::to_string(started) + ": " + e.what() + "); lower --parallel");
  }
  return queue;
}

JobQueue::~JobQueue() {
  CancelAll(CancelReason::kShutdown);
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

bool JobQueue::Submit(std::shared_ptr<Job> job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return false;
    // A free worker takes the job at once; only jobs beyond the workers count as waiting.
    int64_t free_workers = static_cast<int64_t>(threads_.size() - running_.size());
    if (static_cast<int64_t>(waiting_.size()) - free_workers >= max_waiting_) return false;
    waiting_.push_back(std::move(job));
  }
  cv_.notify_one();
  return true;
}

int64_t JobQueue::waiting() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(waiting_.size());
}

int64_t JobQueue::running() const {
  std::lock_guard<std::mutex> lock(mu_);
  return static_cast<int64_t>(running_.size());
}

void JobQueue::CancelAll(CancelReason reason) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& job : waiting_) job->Cancel(reason);
  for (auto& job : running_) job->Cancel(reason);
}

bool JobQueue::WaitIdle(std::chrono::steady_clock::time_point until) {
  std::unique_lock<std::mutex> lock(mu_);
  return idle_cv_.wait_until(lock, until, [&] { return waiting_.empty() && running_.empty(); });
}

void JobQueue::Work() {
  while (true) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !waiting_.empty(); });
      if (waiting_.empty()) return;  // stopping
      job = std::move(waiting_.front());
      waiting_.pop_front();
      running_.insert(job);
    }
    job->run(job.get());  // a cancelled job answers for itself (it checks its token first)
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_.erase(job);
    }
    idle_cv_.notify_all();
  }
}

}  // namespace corgi::server
