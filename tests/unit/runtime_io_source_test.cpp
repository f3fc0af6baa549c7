// Reactor sources (io_source.hpp): registered once, edge-triggered, any number of waiters per
// direction, and no lost wake-up between an operation that would block and the wait.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <utility>

#include "runtime/reactor.hpp"

namespace lunatic::runtime {
namespace {

class IoSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, fds_), 0);
  }
  void TearDown() override {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  // Drains pending events (the initial "writable" edge and the like).
  void settle() {
    reactor_.wait(50);
    while (!reactor_.wait(0).empty()) {
    }
  }

  Reactor reactor_;
  int fds_[2] = {-1, -1};
};

TEST_F(IoSourceTest, EveryWaiterOfADirectionIsWokenWithItsGenerationWhenItBecomesReady) {
  auto source = reactor_.register_source(fds_[0]);
  ASSERT_NE(source, nullptr);
  settle();
  const std::uint64_t seen = source->readiness(IoDirection::kRead);
  ASSERT_TRUE(
      reactor_.add_waiter(*source, IoDirection::kRead, seen, /*process=*/7, /*generation=*/3));
  ASSERT_TRUE(reactor_.add_waiter(*source, IoDirection::kRead, seen, 8, 5));
  EXPECT_EQ(reactor_.watched(), 2u);
  ASSERT_EQ(::write(fds_[1], "x", 1), 1);
  ReadyEvents ready = reactor_.wait(1000);
  std::sort(ready.waits.begin(), ready.waits.end());
  EXPECT_EQ(ready.waits, (std::vector<std::pair<std::uint64_t, std::uint64_t>>{{7, 3}, {8, 5}}));
  EXPECT_GT(source->readiness(IoDirection::kRead), seen);
  EXPECT_EQ(reactor_.watched(), 0u);  // the event took both waiters
}

TEST_F(IoSourceTest, AWaiterIsRefusedWhenReadinessChangedSinceItLooked) {
  auto source = reactor_.register_source(fds_[0]);
  ASSERT_NE(source, nullptr);
  settle();
  const std::uint64_t seen = source->readiness(IoDirection::kRead);
  ASSERT_EQ(::write(fds_[1], "x", 1), 1);
  reactor_.wait(1000);  // the edge arrives between the caller's attempt and its wait
  EXPECT_FALSE(reactor_.add_waiter(*source, IoDirection::kRead, seen, 7, 1));
  EXPECT_EQ(reactor_.watched(), 0u);
}

TEST_F(IoSourceTest, RemovingAWaiterStopsItsWakeUpAndACountOfWatchers) {
  auto source = reactor_.register_source(fds_[0]);
  ASSERT_NE(source, nullptr);
  settle();
  const std::uint64_t seen = source->readiness(IoDirection::kRead);
  ASSERT_TRUE(reactor_.add_waiter(*source, IoDirection::kRead, seen, 7, 1));
  reactor_.remove_waiter(*source, IoDirection::kRead, 7);
  reactor_.remove_waiter(*source, IoDirection::kRead, 7);  // twice: no effect
  EXPECT_EQ(reactor_.watched(), 0u);
  ASSERT_EQ(::write(fds_[1], "x", 1), 1);
  EXPECT_TRUE(reactor_.wait(1000).waits.empty());
}

TEST_F(IoSourceTest, EventsOfASourceThatIsGoneAreIgnored) {
  auto source = reactor_.register_source(fds_[0]);
  ASSERT_NE(source, nullptr);
  settle();
  ASSERT_TRUE(reactor_.add_waiter(*source, IoDirection::kRead,
                                  source->readiness(IoDirection::kRead), 7, 1));
  source.reset();  // deregisters; its waiter is gone with it
  EXPECT_EQ(reactor_.watched(), 0u);
  ASSERT_EQ(::write(fds_[1], "x", 1), 1);
  EXPECT_TRUE(reactor_.wait(100).empty());
}

TEST_F(IoSourceTest, ADescriptorEpollRefusesIsNotRegistered) {
  EXPECT_EQ(reactor_.register_source(-1), nullptr);
}

}  // namespace
}  // namespace lunatic::runtime
