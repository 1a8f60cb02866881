// The controller's work queue: deduplication, one worker per key, delays.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "gitops/queue.h"

namespace gantry::gitops {
namespace {

using namespace std::chrono_literals;

TEST(WorkQueue, AddsOfOneKeyCollapse) {
  WorkQueue q;
  q.add("a");
  q.add("b");
  q.add("a");
  EXPECT_EQ(q.pending(), 2u);
  EXPECT_EQ(*q.get(), "a");
  EXPECT_EQ(*q.get(), "b");
}

TEST(WorkQueue, AKeyAddedWhileProcessingRunsAgainAfterDone) {
  WorkQueue q;
  q.add("a");
  ASSERT_EQ(*q.get(), "a");
  q.add("a");  // while a worker has it
  q.add("a");
  EXPECT_EQ(q.pending(), 0u);  // not handed to a second worker
  q.done("a");
  EXPECT_EQ(q.pending(), 1u);
  EXPECT_EQ(*q.get(), "a");
  q.done("a");
  EXPECT_EQ(q.pending(), 0u);
}

TEST(WorkQueue, DelayedAddsComeDueAndTheEarliestWins) {
  WorkQueue q;
  auto start = std::chrono::steady_clock::now();
  q.add_after("late", 10s);
  q.add_after("late", 50ms);
  EXPECT_EQ(*q.get(), "late");
  auto waited = std::chrono::steady_clock::now() - start;
  EXPECT_GE(waited, 45ms);
  EXPECT_LT(waited, 5s);
  q.done("late");
  q.add_after("x", 20ms);
  q.forget("x");
  q.add_after("y", 30ms);
  EXPECT_EQ(*q.get(), "y");
}

TEST(WorkQueue, ShutdownWakesWaitingWorkers) {
  WorkQueue q;
  std::atomic<bool> ended{false};
  std::thread t([&] {
    EXPECT_FALSE(q.get().has_value());
    ended = true;
  });
  std::this_thread::sleep_for(20ms);
  q.shutdown();
  t.join();
  EXPECT_TRUE(ended);
}

}  // namespace
}  // namespace gantry::gitops
