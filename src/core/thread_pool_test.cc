#include "corgi/core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <vector>

namespace corgi {
namespace {

TEST(ThreadPool, CoversEveryIndexOnce) {
  for (size_t threads : {1, 2, 3, 7}) {
    ThreadPool pool(threads);
    for (size_t n : {0, 1, 2, 5, 100, 1001}) {
      std::vector<std::atomic<int>> hits(n);
      pool.ParallelFor(n, [&](size_t b, size_t e, size_t worker) {
        EXPECT_LT(worker, threads);
        for (size_t i = b; i < e; ++i) hits[i]++;
      });
      for (size_t i = 0; i < n; ++i) EXPECT_EQ(hits[i].load(), 1) << "n=" << n << " i=" << i;
    }
  }
}

TEST(ThreadPool, ManyRoundsDoNotDeadlock) {
  ThreadPool pool(4);
  std::atomic<long> sum{0};
  for (int round = 0; round < 2000; ++round)
    pool.ParallelFor(8, [&](size_t b, size_t e, size_t) { sum += static_cast<long>(e - b); });
  EXPECT_EQ(sum.load(), 2000 * 8);
}

}  // namespace
}  // namespace corgi
