#include "corgi/core/thread_pool.h"

#include <algorithm>
#include <cstdlib>
#include <system_error>

#include "corgi/core/log.h"

#if defined(__linux__)
#include <sched.h>
#endif

namespace corgi {

size_t AvailableCores() {
#if defined(__linux__)
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) == 0) {
    int n = CPU_COUNT(&set);
    if (n > 0) return static_cast<size_t>(n);
  }
#endif
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : hw;
}

size_t MaxThreadCount() { return std::min(kMaxThreadsCeiling, kMaxThreadsPerCore * AvailableCores()); }

std::string ThreadCountProblem(int64_t n) {
  const size_t max = MaxThreadCount();
  if (n >= 0 && static_cast<uint64_t>(n) <= max) return "";
  return "must be in [0, " + std::to_string(max) + "] (at most " + std::to_string(kMaxThreadsPerCore) +
         " threads per core, " + std::to_string(AvailableCores()) + " cores available; 0: one per core), got " +
         std::to_string(n);
}

size_t DefaultThreadCount() {
  if (const char* env = std::getenv("CORGI_THREADS")) {
    long n = std::strtol(env, nullptr, 10);
    if (n > 0) {
      const size_t max = MaxThreadCount();
      if (static_cast<unsigned long>(n) <= max) return static_cast<size_t>(n);
      static std::once_flag warned;
      std::call_once(warned, [&] {
        CORGI_LOG(WARNING) << "CORGI_THREADS=" << n << " " << ThreadCountProblem(n) << "; using " << max;
      });
      return max;
    }
  }
  return AvailableCores();
}

namespace {

// About 0.5 ms of polling (PAUSE ≈ 27 ns on the dev VM) before blocking: longer than a
// futex wake-up there (~0.1-0.2 ms), so back-to-back calls never sleep.
constexpr int kSpinIterations = 20000;
// A spinning thread yields its core every this many polls (~7 us), so a thread of
// another process (or of this one: OCR workers, the HTTP server) waiting for that core
// gets it; with nothing else runnable the yield returns at once.
constexpr int kPollsPerYield = 256;

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Polls `done` up to `iterations` times; true once it holds.
template <typename Pred>
bool SpinUntil(int iterations, const Pred& done) {
  for (int i = 0; i < iterations; ++i) {
    if (done()) return true;
    if ((i + 1) % kPollsPerYield == 0)
      std::this_thread::yield();
    else
      CpuRelax();
  }
  return done();
}

void ChunkBounds(size_t n, size_t parts, size_t index, size_t* begin, size_t* end) {
  size_t base = n / parts, extra = n % parts;
  *begin = index * base + std::min(index, extra);
  *end = *begin + base + (index < extra ? 1 : 0);
}

}  // namespace

StatusOr<std::unique_ptr<ThreadPool>> ThreadPool::Create(size_t num_threads) {
  const size_t wanted = num_threads == 0 ? DefaultThreadCount() : num_threads;
  if (wanted > MaxThreadCount()) {
    return InvalidArgumentError("thread count " + ThreadCountProblem(static_cast<int64_t>(
                                                      std::min<size_t>(wanted, INT64_MAX))));
  }
  auto pool = std::make_unique<ThreadPool>(wanted);
  if (pool->num_threads() < wanted) {
    const size_t started = pool->num_threads();
    pool.reset();  // joins the threads that did start
    return ResourceExhaustedError("cannot start " + std::to_string(wanted) + " threads (the system refused after " +
                                  std::to_string(started) +
                                  "; see ulimit -u and the memory limit); use fewer threads (-t/--threads)");
  }
  return pool;
}

ThreadPool::ThreadPool(size_t num_threads)
    : num_threads_(num_threads == 0 ? DefaultThreadCount() : num_threads),
      spin_iterations_(num_threads_ <= AvailableCores() ? kSpinIterations : 0) {
  try {
    workers_.reserve(num_threads_ - 1);
    for (size_t i = 1; i < num_threads_; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
  } catch (const std::exception& e) {  // std::system_error (EAGAIN) or std::bad_alloc
    // The workers read num_threads_ only after they see a task (generation_, acquire),
    // so the ones running split the work among themselves and the caller.
    const size_t wanted = num_threads_;
    num_threads_ = workers_.size() + 1;
    CORGI_LOG(WARNING) << "thread pool: could start only " << num_threads_ << " of " << wanted
                       << " threads (" << e.what() << ")";
  }
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true, std::memory_order_release);
  }
  work_ready_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::ParallelFor(size_t n, const std::function<void(size_t, size_t, size_t)>& fn) {
  if (n == 0) return;
  if (num_threads_ == 1 || n == 1) {
    fn(0, n, 0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &fn;
    task_n_ = n;
    pending_.store(workers_.size(), std::memory_order_relaxed);
    generation_.fetch_add(1, std::memory_order_release);
  }
  work_ready_.notify_all();
  size_t begin, end;
  ChunkBounds(n, num_threads_, 0, &begin, &end);
  if (begin < end) fn(begin, end, 0);
  auto finished = [this] { return pending_.load(std::memory_order_acquire) == 0; };
  if (!SpinUntil(spin_iterations_, finished)) {
    std::unique_lock<std::mutex> lock(mutex_);
    work_done_.wait(lock, finished);
  }
}

void ThreadPool::WorkerLoop(size_t index) {
  size_t seen = 0;
  for (;;) {
    auto ready = [&] { return stop_.load(std::memory_order_acquire) || generation_.load(std::memory_order_acquire) != seen; };
    if (!SpinUntil(spin_iterations_, ready)) {
      std::unique_lock<std::mutex> lock(mutex_);
      work_ready_.wait(lock, ready);
    }
    if (stop_.load(std::memory_order_acquire)) return;
    seen = generation_.load(std::memory_order_acquire);
    const std::function<void(size_t, size_t, size_t)>* task = task_;
    const size_t n = task_n_;
    size_t begin, end;
    ChunkBounds(n, num_threads_, index, &begin, &end);
    if (begin < end) (*task)(begin, end, index);
    if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      // Under the mutex, so a caller between its predicate check and its wait still
      // gets the notification.
      std::lock_guard<std::mutex> lock(mutex_);
      work_done_.notify_one();
    }
  }
}

}  // namespace corgi
