// JobQueue::Create: the request workers of `corgi serve --parallel N` start, or the
// system's refusal to start them is a Status (issue 11, defect 3), never std::terminate.
#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "apps/server/jobs.h"
#include "core/address_space_test_util.h"

namespace corgi::server {
namespace {

TEST(JobQueueTest, CreateStartsTheWorkers) {
  StatusOr<std::unique_ptr<JobQueue>> queue = JobQueue::Create(4, 8);
  ASSERT_TRUE(queue.ok()) << queue.status().ToString();
  EXPECT_EQ((*queue)->running(), 0);
  EXPECT_EQ((*queue)->waiting(), 0);
}

#ifndef CORGI_NO_ADDRESS_SPACE_LIMIT
// In a child process: ~6 MB of address space left (a thread stack takes 2-8 MB), then
// 256 workers, the most --parallel allows. 0 when that was a ResourceExhausted Status.
int CreateWithLittleAddressSpace() {
  if (!test_util::LimitAddressSpaceToCurrentPlus(6 << 20)) return 3;
  StatusOr<std::unique_ptr<JobQueue>> queue = JobQueue::Create(256, 0);
  if (queue.ok()) return 4;
  return queue.status().code() == StatusCode::kResourceExhausted ? 0 : 5;
}

TEST(JobQueueTest, RefusedWorkersAreAStatus) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(std::_Exit(CreateWithLittleAddressSpace()), ::testing::ExitedWithCode(0), "");
}
#endif

}  // namespace
}  // namespace corgi::server
