// poll_oneoff: clock and descriptor subscriptions, waits through the scheduler, and the
// encoding of subscriptions and events.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>

#include <gtest/gtest.h>

#include "wasi/clock_service.hpp"
#include "wasi/path_service.hpp"
#include "wasi/poll_service.hpp"
#include "wasi_test_support.hpp"

namespace lunatic::wasi {
namespace {

using testing::TestBlocking;
using namespace std::chrono_literals;

Subscription clock_sub(std::uint64_t userdata, std::uint64_t timeout_ns, std::uint16_t flags = 0,
                       ClockId id = ClockId::kMonotonic) {
  Subscription s;
  s.userdata = userdata;
  s.type = EventType::kClock;
  s.clock_id = static_cast<std::uint32_t>(id);
  s.timeout = timeout_ns;
  s.clock_flags = flags;
  return s;
}

Subscription fd_sub(std::uint64_t userdata, std::uint32_t fd, bool write = false) {
  Subscription s;
  s.userdata = userdata;
  s.type = write ? EventType::kFdWrite : EventType::kFdRead;
  s.fd = fd;
  return s;
}

struct PipeContext {
  int fds[2];
  std::unique_ptr<WasiContext> context;
  PipeContext() {
    ::pipe2(fds, O_CLOEXEC);
    WasiConfig config;
    config.stdin_fd = fds[0];
    config.stdout_fd = fds[1];
    config.stderr_fd = -1;
    context = std::move(WasiContext::create(config).value());
  }
  ~PipeContext() {
    context.reset();
    ::close(fds[0]);
    ::close(fds[1]);
  }
};

TEST(WasiPoll, SleepsOnARelativeClockThroughTheScheduler) {
  PipeContext p;
  TestBlocking blocking;
  const auto before = std::chrono::steady_clock::now();
  std::array subs{clock_sub(7, 20'000'000)};
  auto events = poll_oneoff(*p.context, &blocking, subs);
  const auto after = std::chrono::steady_clock::now();
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].userdata, 7u);
  EXPECT_EQ((*events)[0].type, EventType::kClock);
  EXPECT_EQ((*events)[0].error, Errno::kSuccess);
  EXPECT_EQ(blocking.sleeps, 1);
  ASSERT_TRUE(blocking.slept_until.has_value());
  EXPECT_GE(*blocking.slept_until, before + 20ms);
  EXPECT_LE(*blocking.slept_until, after + 20ms);
}

TEST(WasiPoll, FiresAnAbsoluteDeadlineInThePastAtOnce) {
  PipeContext p;
  TestBlocking blocking;
  auto now = clock_time_get(static_cast<std::uint32_t>(ClockId::kRealtime), 0).value();
  std::array subs{clock_sub(1, now - 1'000'000'000, subclockflags::kAbstime, ClockId::kRealtime)};
  auto events = poll_oneoff(*p.context, &blocking, subs);
  const auto after = std::chrono::steady_clock::now();
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 1u);
  ASSERT_TRUE(blocking.slept_until.has_value());
  EXPECT_LE(*blocking.slept_until, after) << "a deadline in the past was waited for";
}

TEST(WasiPoll, WaitsForAnAbsoluteMonotonicDeadline) {
  PipeContext p;
  TestBlocking blocking;
  auto now = clock_time_get(static_cast<std::uint32_t>(ClockId::kMonotonic), 0).value();
  std::array subs{clock_sub(1, now + 15'000'000, subclockflags::kAbstime)};
  ASSERT_TRUE(poll_oneoff(*p.context, &blocking, subs).ok());
  // The monotonic clock is the steady clock: the sleep ends at the asked time, less what passed
  // between the poll's two reads of it.
  const std::chrono::steady_clock::time_point asked{std::chrono::nanoseconds(now + 15'000'000)};
  ASSERT_TRUE(blocking.slept_until.has_value());
  EXPECT_LE(*blocking.slept_until, asked);
  EXPECT_GE(*blocking.slept_until, asked - 5ms);
}

TEST(WasiPoll, ReportsAnUnknownFdInItsOwnEventWithoutWaiting) {
  PipeContext p;
  TestBlocking blocking;
  std::array subs{fd_sub(5, 42), clock_sub(6, 10'000'000'000)};
  auto events = poll_oneoff(*p.context, &blocking, subs);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].userdata, 5u);
  EXPECT_EQ((*events)[0].error, Errno::kBadf);
  EXPECT_EQ((*events)[0].type, EventType::kFdRead);
  EXPECT_EQ(blocking.fd_waits + blocking.sleeps, 0);
}

TEST(WasiPoll, TreatsRegularFilesAsAlwaysReady) {
  testing::Sandbox s;
  auto fd = path_open(*s.context, testing::Sandbox::kDir, 0, "inside.txt", 0, rights::kAll, 0, 0);
  ASSERT_TRUE(fd.ok());
  TestBlocking blocking;
  std::array subs{fd_sub(1, *fd), fd_sub(2, *fd, /*write=*/true)};
  auto events = poll_oneoff(*s.context, &blocking, subs);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 2u);
  EXPECT_EQ((*events)[0].nbytes, 5u);  // "hello" left to read
  EXPECT_EQ((*events)[1].type, EventType::kFdWrite);
  EXPECT_EQ(blocking.fd_waits, 0);
}

TEST(WasiPoll, WaitsForAPipeToBecomeReadable) {
  PipeContext p;
  TestBlocking blocking;
  blocking.before_wait = [&] { ASSERT_EQ(::write(p.fds[1], "four", 4), 4); };
  std::array subs{fd_sub(9, 0), clock_sub(10, 10'000'000'000)};
  auto events = poll_oneoff(*p.context, &blocking, subs);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].userdata, 9u);
  EXPECT_EQ((*events)[0].nbytes, 4u);
  EXPECT_EQ((*events)[0].flags, 0);
  EXPECT_EQ(blocking.fd_waits, 1);
}

TEST(WasiPoll, ReportsAHangupWhenTheWriterIsGone) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  WasiConfig config;
  config.stdin_fd = fds[0];
  config.stdout_fd = config.stderr_fd = -1;
  auto context = std::move(WasiContext::create(config).value());
  ::close(fds[1]);
  TestBlocking blocking;
  std::array subs{fd_sub(1, 0)};
  auto events = poll_oneoff(*context, &blocking, subs);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].flags, eventrwflags::kHangup);
  context.reset();
  ::close(fds[0]);
}

TEST(WasiPoll, TimesOutWhenThePipeStaysEmpty) {
  PipeContext p;
  TestBlocking blocking;
  std::array subs{fd_sub(1, 0), clock_sub(2, 20'000'000), clock_sub(3, 10'000'000'000)};
  auto events = poll_oneoff(*p.context, &blocking, subs);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].userdata, 2u);
  EXPECT_EQ((*events)[0].type, EventType::kClock);
}

TEST(WasiPoll, ReportsAWritablePipeAndItsReadinessTogether) {
  PipeContext p;
  TestBlocking blocking;
  std::array subs{fd_sub(1, 1, /*write=*/true), fd_sub(2, 0)};
  auto events = poll_oneoff(*p.context, &blocking, subs);
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 1u);
  EXPECT_EQ((*events)[0].userdata, 1u);
}

TEST(WasiPoll, RefusesNoSubscriptionsAndClocksItCannotWaitOn) {
  PipeContext p;
  TestBlocking blocking;
  EXPECT_EQ(poll_oneoff(*p.context, &blocking, {}).error(), Errno::kInval);
  std::array cpu{clock_sub(1, 1000, 0, ClockId::kProcessCputime)};
  EXPECT_EQ(poll_oneoff(*p.context, &blocking, cpu).error(), Errno::kInval);
  Subscription bad = clock_sub(1, 1000);
  bad.clock_id = 99;
  std::array unknown{bad};
  EXPECT_EQ(poll_oneoff(*p.context, &blocking, unknown).error(), Errno::kInval);
}

TEST(WasiPoll, DecodesSubscriptionsAndEncodesEventsAtTheWitxOffsets) {
  std::array<std::uint8_t, kSubscriptionSize> raw{};
  const std::uint64_t userdata = 0x1122334455667788ull;
  std::memcpy(&raw[0], &userdata, 8);
  raw[8] = 0;  // clock
  const std::uint32_t id = 1;
  const std::uint64_t timeout = 12345, precision = 99;
  const std::uint16_t flags = subclockflags::kAbstime;
  std::memcpy(&raw[16], &id, 4);
  std::memcpy(&raw[24], &timeout, 8);
  std::memcpy(&raw[32], &precision, 8);
  std::memcpy(&raw[40], &flags, 2);
  auto s = decode_subscription(raw);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->userdata, userdata);
  EXPECT_EQ(s->clock_id, 1u);
  EXPECT_EQ(s->timeout, 12345u);
  EXPECT_EQ(s->precision, 99u);
  EXPECT_EQ(s->clock_flags, subclockflags::kAbstime);
  raw[8] = 2;
  const std::uint32_t fd = 7;
  std::memcpy(&raw[16], &fd, 4);
  EXPECT_EQ(decode_subscription(raw)->fd, 7u);
  raw[8] = 3;
  EXPECT_EQ(decode_subscription(raw).error(), Errno::kInval);

  std::array<std::uint8_t, kEventSize> out;
  out.fill(0xEE);
  encode_event(Event{userdata, Errno::kBadf, EventType::kFdWrite, 77, eventrwflags::kHangup}, out);
  std::uint64_t got_userdata, got_nbytes;
  std::uint16_t got_error, got_flags;
  std::memcpy(&got_userdata, &out[0], 8);
  std::memcpy(&got_error, &out[8], 2);
  std::memcpy(&got_nbytes, &out[16], 8);
  std::memcpy(&got_flags, &out[24], 2);
  EXPECT_EQ(got_userdata, userdata);
  EXPECT_EQ(got_error, 8);
  EXPECT_EQ(out[10], 2);
  EXPECT_EQ(got_nbytes, 77u);
  EXPECT_EQ(got_flags, 1);
  EXPECT_EQ(out[31], 0);  // padding zeroed
}

}  // namespace
}  // namespace lunatic::wasi
