// The --trace ring (runtime/trace_recorder): it keeps the newest events, counts the others, and
// loses or tears none when threads push at once; the strings it keeps are bounded.
#include <gtest/gtest.h>

#include <cstdint>
#include <thread>
#include <vector>

#include "runtime/message.hpp"
#include "runtime/trace_recorder.hpp"

namespace lunatic::runtime {
namespace {

// An event whose every field derives from `n`, so a torn one is seen.
TraceEvent numbered(std::uint64_t thread, std::uint64_t n) {
  return {.ts_ns = static_cast<std::int64_t>(n),
          .kind = TraceKind::kSend,
          .detail = static_cast<std::uint8_t>(n),
          .size = static_cast<std::uint32_t>(n * 3),
          .process = thread,
          .peer = n,
          .key = n ^ 0x5555,
          .value = -static_cast<std::int64_t>(n)};
}

bool intact(const TraceEvent& e) {
  const auto n = e.peer;
  return e.ts_ns == static_cast<std::int64_t>(n) && e.detail == static_cast<std::uint8_t>(n) &&
         e.size == static_cast<std::uint32_t>(n * 3) && e.key == (n ^ 0x5555) &&
         e.value == -static_cast<std::int64_t>(n) && e.kind == TraceKind::kSend;
}

TEST(TraceRing, BelowItsCapacityItKeepsEveryEventInOrder) {
  TraceRing ring(8);
  for (std::uint64_t n = 0; n < 5; ++n) ring.push(numbered(0, n));
  const auto events = ring.snapshot();
  ASSERT_EQ(events.size(), 5u);
  for (std::uint64_t n = 0; n < 5; ++n) EXPECT_EQ(events[n].peer, n);
  EXPECT_EQ(ring.pushed(), 5u);
}

TEST(TraceRing, WhenItWrapsTheOldestEventsAreDroppedAndCounted) {
  TraceRing ring(4);
  for (std::uint64_t n = 0; n < 10; ++n) ring.push(numbered(0, n));
  const auto events = ring.snapshot();
  ASSERT_EQ(events.size(), 4u);
  for (std::uint64_t i = 0; i < 4; ++i) {
    EXPECT_EQ(events[i].peer, 6 + i);
    EXPECT_TRUE(intact(events[i]));
  }
  EXPECT_EQ(ring.pushed() - events.size(), 6u);  // the drop count the trace reports
}

// Many threads, a ring small enough to be lapped while they write: every event kept is whole,
// each thread's events keep their order, and kept plus dropped is what was pushed.
void push_from_threads(std::size_t capacity) {
  constexpr std::uint64_t kThreads = 4, kEach = 50'000;
  TraceRing ring(capacity);
  std::vector<std::thread> threads;
  for (std::uint64_t t = 1; t <= kThreads; ++t) {
    threads.emplace_back([&ring, t] {
      for (std::uint64_t n = 0; n < kEach; ++n) ring.push(numbered(t, n));
    });
  }
  for (auto& thread : threads) thread.join();
  const auto events = ring.snapshot();
  EXPECT_EQ(ring.pushed(), kThreads * kEach);
  EXPECT_EQ(events.size(), capacity);
  std::vector<std::int64_t> last(kThreads + 1, -1);
  for (const TraceEvent& event : events) {
    ASSERT_TRUE(intact(event));
    ASSERT_GE(event.process, 1u);
    ASSERT_LE(event.process, kThreads);
    EXPECT_GT(static_cast<std::int64_t>(event.peer), last[event.process]);
    last[event.process] = static_cast<std::int64_t>(event.peer);
  }
}

TEST(TraceRing, ConcurrentWritersLoseAndTearNothing) { push_from_threads(4096); }

TEST(TraceRing, ConcurrentWritersLappingATinyRingTearNothing) { push_from_threads(3); }

TEST(TraceStrings, ATextIsKeptOnceAndLongOnesAreCut) {
  TraceStrings strings;
  EXPECT_EQ(strings.intern(""), TraceStrings::kEmpty);
  const auto a = strings.intern("echo");
  EXPECT_EQ(strings.intern("echo"), a);
  EXPECT_NE(strings.intern("other"), a);
  const auto long_id = strings.intern(std::string(1000, 'x'));
  EXPECT_EQ(strings.all()[long_id].size(), TraceStrings::kMaxLength);
}

TEST(TraceStrings, PastItsBoundNewTextsAllReadAsOverflow) {
  TraceStrings strings;
  // Two ids are taken from the start: the empty text and the overflow's.
  for (std::size_t i = 0; i + 2 < TraceStrings::kMaxStrings; ++i) {
    strings.intern("text " + std::to_string(i));
  }
  ASSERT_EQ(strings.all().size(), TraceStrings::kMaxStrings);
  EXPECT_EQ(strings.intern("one more"), TraceStrings::kOverflow);
  EXPECT_EQ(strings.intern("text 5"), 2u + 5);  // known ones are still found
}

TEST(TraceRecorder, ASendAndItsReceiveNameTheMessageByItsAddress) {
  TraceRecorder recorder(16);
  Message message;
  message.tag = 42;
  message.data.resize(5);
  recorder.sent(1, 2, message);
  recorder.received(2, message);
  const auto events = recorder.ring().snapshot();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, TraceKind::kSend);
  EXPECT_EQ(events[1].kind, TraceKind::kReceive);
  EXPECT_EQ(events[0].key, events[1].key);
  EXPECT_EQ(events[0].value, 42);
  EXPECT_EQ(events[1].size, 5u);
  EXPECT_LE(events[0].ts_ns, events[1].ts_ns);
}

}  // namespace
}  // namespace lunatic::runtime
