// A fixed pool of worker threads for data-parallel loops. Passed explicitly to the
// code that uses it (never a global), as STYLE.md asks.
//
//   ThreadPool pool(4);
//   pool.ParallelFor(rows, [&](size_t begin, size_t end, size_t worker) { ... });
//
// Thread-safety: ParallelFor may be called from one thread at a time; the pool
// itself is not re-entrant (a task must not call ParallelFor on the same pool).
//
// Waiting: a decode step issues ~10 ParallelFor calls per layer, each a few tens of
// microseconds of work, so workers (and the caller, for the workers to finish) first
// spin briefly on atomics and only then block on a condition variable: a futex
// wake-up per call would cost as much as the work.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace corgi {

class ThreadPool {
 public:
  // num_threads == 0 means "one per hardware thread". The calling thread also
  // works, so a pool of N runs N-way parallel with N-1 helper threads.
  explicit ThreadPool(size_t num_threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t num_threads() const { return num_threads_; }

  // Splits [0, n) into contiguous chunks, one per worker, and runs
  // fn(begin, end, worker_index) on each; returns when all are done.
  // The split depends only on n and num_threads(), so results are reproducible.
  void ParallelFor(size_t n, const std::function<void(size_t, size_t, size_t)>& fn);

 private:
  void WorkerLoop(size_t index);

  size_t num_threads_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable work_done_;
  // Written under mutex_ before generation_ is bumped (release); read by workers after
  // they observe the new generation (acquire).
  const std::function<void(size_t, size_t, size_t)>* task_ = nullptr;
  size_t task_n_ = 0;
  std::atomic<size_t> generation_{0};  // bumped once per ParallelFor
  std::atomic<size_t> pending_{0};     // workers still running the current task
  std::atomic<bool> stop_{false};
};

// Default worker count: CORGI_THREADS if set, else hardware concurrency.
size_t DefaultThreadCount();

}  // namespace corgi
