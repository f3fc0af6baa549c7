// CLI tests. lunatic::message through msg_messaging.wasm: building and reading a message, the
// traps of a missing message or a bad pointer, order between processes, selective receive (also
// while the mailbox is flooded), timeouts, and moving a module in a message.
#include "support/cli_support.hpp"

#include <string>

namespace {

using namespace cli_test;

class Messages : public ProcessTest {
 protected:
  RunResult run(std::vector<std::string> args) {
    return run_guest("msg_messaging", std::move(args));
  }

  // The guest prints "<before>", calls a function that must trap with `reason`, and never gets
  // to "<fn> returned".
  void expect_host_trap(const std::vector<std::string>& args, const std::string& before,
                        const std::string& reason) {
    auto r = run(args);
    expect_trap(r, reason);
    EXPECT_TRUE(has_line(r.out, before)) << describe(r);
    EXPECT_FALSE(contains(r.out, "returned")) << describe(r);
  }
};

TEST_F(Messages, DataFunctionsWriteReadSeekAndDescribeAMessage) {
  auto r = run({"data_api"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "write_data returns: 5\n"
            "write_data returns: 6\n"
            "data_size while building: 11\n"
            "get_tag while building: 42\n"
            "received: data tag=42 size=11\n"
            "get_process_id of data: 0\n"
            "read_data: 11 \"hello world\"\n"
            "read_data at the end: 0\n"
            "after seek_data(6), read 3: 3 \"wor\"\n"
            "then the rest: 2 \"ld\"\n"
            "after seek_data(11) (the end), read: 0\n"
            "empty message: data tag=-5 size=0\n")
      << describe(r);
}

TEST_F(Messages, ReadingAfterSeekingPastTheEndTraps) {
  expect_host_trap({"read_past_end"}, "sought past the end",
                   "lunatic::message::read_data: reading outside the message buffer");
}

TEST_F(Messages, EveryFunctionThatNeedsAMessageTrapsWithoutOne) {
  for (std::string fn : {"write_data", "read_data", "seek_data", "get_tag", "get_process_id",
                         "data_size", "send", "take_module"}) {
    SCOPED_TRACE(fn);
    expect_host_trap({"no_message", fn}, "calling " + fn + " without a message",
                     "lunatic::message::" + fn + ": no message");
  }
  // push_module checks its module id first; without a message and a module it traps too.
  expect_host_trap({"no_message", "push_module"}, "calling push_module without a message",
                   "lunatic::message::push_module");
}

TEST_F(Messages, SendTakesTheMessageAway) {
  expect_host_trap({"after_send"}, "sent", "lunatic::message::write_data: no message");
}

TEST_F(Messages, DataSizeOfASignalTraps) {
  expect_host_trap({"signal_data_size"}, "received: process-died",
                   "lunatic::message::data_size: the message in the scratch area is a signal");
}

TEST_F(Messages, BadPointersTrap) {
  expect_host_trap({"bad_pointer", "write_data"}, "calling write_data with a bad pointer",
                   "lunatic::message::write_data: buffer out of bounds");
  expect_host_trap({"bad_pointer", "read_data"}, "calling read_data with a bad pointer",
                   "lunatic::message::read_data: buffer out of bounds");
  expect_host_trap({"bad_pointer", "receive"}, "calling receive with a bad pointer",
                   "lunatic::message::receive: tags out of bounds");
}

TEST_F(Messages, OneSendersMessagesArriveInTheOrderSent) {
  auto r = run({"order_one", "100000"});
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"received: 100000 of 100000", "out of order: 0", "unexpected: 0",
                            "every sender's last message arrived: yes"});
}

TEST_F(Messages, EachOfManySendersMessagesArriveInItsOrder) {
  auto r = run({"order_many", "16", "10000"});
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"received: 160000 of 160000", "out of order: 0", "unexpected: 0",
                            "every sender's last message arrived: yes"});
}

TEST_F(Messages, ATaggedReceiveTakesItsTagsInOrderAndLeavesTheRestInOrder) {
  auto r = run({"selective", "30000"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "tag 2 taken: 10000, wrong or out of order: 0\n"
            "tags 3 and 1 taken: 20000, wrong or out of order: 0\n"
            "left: timeout\n")
      << describe(r);
}

TEST_F(Messages, SelectiveReceiveWorksWhileTheMailboxIsFlooded) {
  auto r = run({"selective_load", "2000"});
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"tagged taken in order: 2000 of 2000, wrong: 0",
                            "the flood was large (more than 1000 messages): yes",
                            "flood in order and complete: yes"});
}

TEST_F(Messages, ReceiveTimesOutAfterItsTimeoutAndNotBefore) {
  auto r = run({"timeouts"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(
      r.out,
      "timeout 0 on an empty mailbox: timeout, within 50 ms: yes\n"
      "timeout 100 ms: timeout, waited at least 100 ms: yes, under 2 s: yes\n"
      "tag 5 with only tag 6 queued: timeout, waited at least 100 ms: yes\n"
      "tag 6 still there: data tag=6 size=0\n"
      "a 10 s wait for a message sent after 50 ms: data tag=7 size=0, ended within 2 s: yes\n")
      << describe(r);
}

TEST_F(Messages, ATaggedReceiveNeverTakesAnUntaggedMessage) {
  auto r = run({"tag_zero"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "receive tag 0: timeout\n"
            "receive tag 9: timeout\n"
            "receive any: data tag=0 size=0\n")
      << describe(r);
}

TEST_F(Messages, SendsToAnEndedPeerAreDroppedBeforeAndAfterSendsToAnother) {
  auto r = run({"ended_peer"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "a answers 1 with 1\n"
            "a ended: yes\n"
            "b answers 3 with 3\n"
            "b answers 5 with 5\n"
            "then: timeout\n")
      << describe(r);
}

TEST_F(Messages, AModuleMovesToAnotherProcessInAMessage) {
  auto r = run_guest("msg_messaging", {"modules", guest("msg_messaging")}, {"--dir", GUESTS_DIR});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "push_module index: 0\n"
            "the taker spawned from the module it took: yes\n"
            "the sender still spawns from its module: yes\n")
      << describe(r);
}

}  // namespace
