// The runtime's deadlines: waits and delayed messages fire in deadline order, a delayed message
// is cancelled only by its owner and only once, and entries that can no longer fire are swept
// so the heap stays the size of what is live.
#include <gtest/gtest.h>

#include <set>
#include <utility>

#include "runtime/timers.hpp"

namespace lunatic::runtime {
namespace {

using std::chrono::milliseconds;

std::unique_ptr<Message> data(std::int64_t tag) {
  auto message = std::make_unique<Message>();
  message->tag = tag;
  return message;
}

Timers always_current() {
  return Timers([](std::uint64_t, std::uint64_t) { return true; });
}

TEST(Timers, WaitsAndSendsComeDueInDeadlineOrder) {
  Timers timers = always_current();
  const auto t0 = Clock::now();
  EXPECT_TRUE(timers.empty());
  EXPECT_TRUE(timers.add_wait(t0 + milliseconds(30), 7, 1));  // the earliest so far
  EXPECT_TRUE(timers.add_send(t0 + milliseconds(10), 1, 8, data(10)).earliest);
  EXPECT_FALSE(timers.add_send(t0 + milliseconds(20), 1, 9, data(20)).earliest);
  EXPECT_FALSE(timers.add_wait(t0 + milliseconds(40), 7, 2));
  EXPECT_EQ(timers.next_deadline_ns(), std::chrono::duration_cast<std::chrono::nanoseconds>(
                                           (t0 + milliseconds(10)).time_since_epoch())
                                           .count());

  auto nothing = timers.take_due(t0);
  EXPECT_TRUE(nothing.wakes.empty());
  EXPECT_TRUE(nothing.sends.empty());

  auto first = timers.take_due(t0 + milliseconds(25));
  ASSERT_EQ(first.sends.size(), 2u);
  EXPECT_EQ(first.sends[0].target, 8u);
  EXPECT_EQ(first.sends[0].message->tag, 10);
  EXPECT_EQ(first.sends[1].target, 9u);
  EXPECT_TRUE(first.wakes.empty());

  auto rest = timers.take_due(t0 + milliseconds(100));
  ASSERT_EQ(rest.wakes.size(), 2u);
  EXPECT_EQ(rest.wakes[0].generation, 1u);
  EXPECT_EQ(rest.wakes[1].generation, 2u);
  EXPECT_TRUE(timers.empty());
  EXPECT_EQ(timers.pending_sends(), 0u);
}

TEST(Timers, OnlyTheOwnerCancelsAndOnlyOnce) {
  Timers timers = always_current();
  const auto t0 = Clock::now();
  const auto a = timers.add_send(t0 + milliseconds(10), /*owner=*/1, 5, data(1)).timer_id;
  const auto b = timers.add_send(t0 + milliseconds(10), /*owner=*/2, 5, data(2)).timer_id;
  EXPECT_NE(a, 0u);
  EXPECT_NE(a, b);
  EXPECT_FALSE(timers.cancel_send(2, a));  // not its timer
  EXPECT_TRUE(timers.cancel_send(1, a));
  EXPECT_FALSE(timers.cancel_send(1, a));  // already cancelled
  EXPECT_FALSE(timers.cancel_send(1, 12345));
  auto due = timers.take_due(t0 + milliseconds(20));
  ASSERT_EQ(due.sends.size(), 1u);
  EXPECT_EQ(due.sends[0].message->tag, 2);
  EXPECT_FALSE(timers.cancel_send(2, b));  // it fired
}

TEST(Timers, CancelledSendsAreSweptOnceTheHeapDoubles) {
  Timers timers = always_current();
  const auto later = Clock::now() + std::chrono::hours(1);
  // A server setting a timer per request and cancelling it when the reply comes.
  for (int i = 0; i < 100'000; ++i) {
    const auto id = timers.add_send(later, 1, 2, data(i)).timer_id;
    ASSERT_TRUE(timers.cancel_send(1, id));
  }
  EXPECT_EQ(timers.pending_sends(), 0u);
  EXPECT_LE(timers.heap_size(), 4096u) << "cancelled entries must not pile up";
}

TEST(Timers, EndedWaitsAreSweptAndLiveOnesKept) {
  // Process 1's current wait is generation 1'000'000: every earlier one has ended.
  Timers timers([](std::uint64_t process, std::uint64_t generation) {
    return process == 1 && generation == 1'000'000;
  });
  const auto later = Clock::now() + std::chrono::hours(1);
  for (std::uint64_t g = 1; g <= 100'000; ++g) timers.add_wait(later, 1, g);
  timers.add_wait(later, 1, 1'000'000);
  const auto kept = timers.add_send(later, 1, 1, data(5)).timer_id;
  EXPECT_LE(timers.heap_size(), 4096u);
  // The live wait and the live send survive every sweep.
  auto due = timers.take_due(later);
  std::set<std::uint64_t> generations;
  for (auto& wake : due.wakes) generations.insert(wake.generation);
  EXPECT_TRUE(generations.contains(1'000'000));
  ASSERT_EQ(due.sends.size(), 1u);
  EXPECT_EQ(due.sends[0].message->tag, 5);
  EXPECT_FALSE(timers.cancel_send(1, kept));
}

}  // namespace
}  // namespace lunatic::runtime
