// A fixed pool of worker threads for data-parallel loops. Passed explicitly to the
// code that uses it (never a global), as STYLE.md asks.
//
//   ThreadPool pool(4);
//   pool.ParallelFor(rows, [&](size_t begin, size_t end, size_t worker) { ... });
//
// Thread-safety: ParallelFor may be called from one thread at a time; the pool
// itself is not re-entrant (a task must not call ParallelFor on the same pool).
#pragma once

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
  const std::function<void(size_t, size_t, size_t)>* task_ = nullptr;  // guarded by mutex_
  size_t task_n_ = 0;                                                    // guarded by mutex_
  size_t generation_ = 0;                                                // guarded by mutex_
  size_t pending_ = 0;                                                   // guarded by mutex_
  bool stop_ = false;                                                    // guarded by mutex_
};

// Default worker count: CORGI_THREADS if set, else hardware concurrency.
size_t DefaultThreadCount();

}  // namespace corgi
