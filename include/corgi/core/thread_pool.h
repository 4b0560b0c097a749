// A fixed pool of worker threads for data-parallel loops. Passed explicitly to the
// code that uses it (never a global), as STYLE.md asks.
//
//   CORGI_ASSIGN_OR_RETURN(std::unique_ptr<ThreadPool> pool, ThreadPool::Create(threads));
//   pool->ParallelFor(rows, [&](size_t begin, size_t end, size_t worker) { ... });
//
// Thread-safety: ParallelFor may be called from one thread at a time; the pool
// itself is not re-entrant (a task must not call ParallelFor on the same pool).
//
// Waiting: a decode step issues ~10 ParallelFor calls per layer, each a few tens of
// microseconds of work, so workers (and the caller, for the workers to finish) first
// spin briefly on atomics and only then block on a condition variable: a futex
// wake-up per call would cost as much as the work. Spinning only pays while every
// thread has a core of its own: a pool with more threads than the cores it may run on
// never spins (a spinning thread would hold the core a working one needs — 64 spinning
// threads on 2 cores once took 37 s for what 2 threads did in 6.5 s), and spinning
// threads yield now and then, in case other processes want the cores.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "corgi/core/status.h"

namespace corgi {

// The bound on thread counts users may ask for (flags, config, CORGI_THREADS): at most
// kMaxThreadsPerCore per available core and never more than kMaxThreadsCeiling. The pool
// runs compute-bound loops, so threads beyond the cores never make them faster; a few per
// core leave room to experiment (SMT, cores busy elsewhere), and the ceiling bounds the
// stacks and kernel tasks a typo can ask for on a very large machine.
inline constexpr size_t kMaxThreadsPerCore = 4;
inline constexpr size_t kMaxThreadsCeiling = 1024;

// The cores this process may run on (its CPU affinity mask on Linux, else
// std::thread::hardware_concurrency()); at least 1. Thread-safe.
size_t AvailableCores();

// min(kMaxThreadsCeiling, kMaxThreadsPerCore * AvailableCores()). Thread-safe.
size_t MaxThreadCount();

// "" when 0 <= n <= MaxThreadCount() (0 meaning the default); otherwise what is wrong,
// for a message after the flag or key name: "must be in [0, 8] (at most 4 threads per
// core, 2 cores available), got 100000".
std::string ThreadCountProblem(int64_t n);

class ThreadPool {
 public:
  // The way to make a pool from a count a user chose. num_threads == 0 means
  // DefaultThreadCount(). InvalidArgument above MaxThreadCount(); ResourceExhausted when
  // the system refuses to start a thread (no thread is left running then).
  static StatusOr<std::unique_ptr<ThreadPool>> Create(size_t num_threads);

  // For counts the program itself fixes (tests, benchmarks). num_threads == 0 means
  // DefaultThreadCount(). The calling thread also works, so a pool of N runs N-way
  // parallel with N-1 helper threads. Never throws: when the system refuses to start a
  // thread the pool runs with the threads it has (num_threads() says how many) and logs
  // a warning.
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
  int spin_iterations_;  // polls before blocking; 0 when oversubscribed
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

// Default worker count: CORGI_THREADS if set (capped at MaxThreadCount(), with a
// warning), else the available cores.
size_t DefaultThreadCount();

}  // namespace corgi
