// CLI tests. lunatic::timer through msg_timers.wasm: messages sent after a delay arrive intact
// and in deadline order, cancellation (by the owner only, once), timers that outlive their
// sender or whose target is gone, and thousands of live timers.
#include "support/cli_support.hpp"

#include <string>

namespace {

using namespace cli_test;

class TimerApi : public ProcessTest {
 protected:
  RunResult run(std::vector<std::string> args) { return run_guest("msg_timers", std::move(args)); }
};

TEST_F(TimerApi, AMessageSentAfterADelayArrivesIntactAndNotEarlier) {
  // Main waits with no timeout while only the timer is pending: that is not a deadlock.
  auto r = run({"fire"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "timer id is non-zero: yes\n"
            "received: data tag=900 size=8, payload 1234\n"
            "not before 100 ms: yes, within 2 s: yes\n")
      << describe(r);
}

TEST_F(TimerApi, TimersFireInDeadlineOrderNotTheOrderSet) {
  auto r = run({"order"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "arrived: data tag=1 size=8\n"
            "arrived: data tag=2 size=8\n"
            "arrived: data tag=3 size=8\n")
      << describe(r);
}

TEST_F(TimerApi, ACancelledTimerNeverFiresAndCancelsOnce) {
  auto r = run({"cancel"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "first cancel: 1\nsecond cancel: 0\nafter 400 ms: timeout\n") << describe(r);
}

TEST_F(TimerApi, CancellingAFiredOrUnknownTimerReturnsZero) {
  auto fired = run({"cancel_fired"});
  EXPECT_EXIT_CODE(fired, 0);
  EXPECT_EQ(fired.out, "received: data tag=900 size=8\ncancel after it fired: 0\n")
      << describe(fired);
  auto unknown = run({"cancel_unknown"});
  EXPECT_EXIT_CODE(unknown, 0);
  EXPECT_EQ(unknown.out, "cancel 0: 0\ncancel 123456789: 0\ncancel max: 0\n") << describe(unknown);
}

TEST_F(TimerApi, AnotherProcessCannotCancelATimer) {
  auto r = run({"cancel_foreign"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "another process's cancel returned: 0\nthe timer: data tag=900 size=8\n")
      << describe(r);
}

TEST_F(TimerApi, ATimerOutlivesTheProcessThatSetIt) {
  auto r = run({"outlives_sender"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "sender ended: yes\nits timer: data tag=900 size=8\n") << describe(r);
}

TEST_F(TimerApi, TimersToMissingOrDeadProcessesAreDropped) {
  auto r = run({"to_dead"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "child ended: yes\nmain after both fired: timeout\n") << describe(r);
  EXPECT_EQ(r.err, "") << describe(r);
}

TEST_F(TimerApi, SendAfterWithoutAMessageTraps) {
  auto r = run({"no_message"});
  expect_trap(r, "lunatic::timer::send_after: no message in the scratch area");
  EXPECT_EQ(r.out, "calling send_after without a message\n") << describe(r);
}

TEST_F(TimerApi, TenThousandTimersHalfCancelledDeliverExactlyTheRestInOrder) {
  auto r = run({"many", "10000"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(r.out, "timers: 10000, cancelled: ")) << describe(r);
  expect_lines_in_order(r, {"in deadline order: yes"});
  auto arrived = line_containing(r.out, "arrived: ");
  ASSERT_TRUE(arrived.has_value()) << describe(r);
  EXPECT_TRUE(contains(*arrived, "exactly the ones not cancelled: yes")) << describe(r);
  // Only timers due within a millisecond or two can fire before main cancels them.
  auto fired_first = line_containing(r.out, "fired before their cancel: ");
  ASSERT_TRUE(fired_first.has_value()) << describe(r);
  EXPECT_LT(std::stoul(fired_first->substr(fired_first->rfind(' ') + 1)), 1000u) << describe(r);
}

}  // namespace
