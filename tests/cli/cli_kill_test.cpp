// CLI tests. lunatic::process::kill through proc_links.wasm: a kill ends a process wherever it
// is (computing, waiting for a message, sleeping), travels along links as a failure, and cannot
// be caught.
#include "support/cli_support.hpp"

#include <algorithm>
#include <string>

namespace {

using namespace cli_test;

class Kill : public ProcessTest {};

TEST_F(Kill, KillEndsAComputingAWaitingAndASleepingProcess) {
  auto r = run_guest("proc_links", {"kill"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "killed linked spinner: link-died tag=14\n"
            "spinner exists: 0\n"
            "killed waiter: process-died waiter\n"
            "killed sleeper: process-died sleeper\n"
            "sleeper died within 2 s: yes\n"
            "main continues\n")
      << describe(r);
}

TEST_F(Kill, KillingALinkedChildKillsTheKillerToo) {
  auto r = run_guest("proc_links", {"kill_linked_default"});
  EXPECT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.signal, 0) << describe(r);
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "killed the linked child\n") << describe(r);
  EXPECT_LT(r.seconds, 4.0) << describe(r);
}

TEST_F(Kill, AKilledProcessRunsNoFurtherCodeNotEvenInsideTrapCatch) {
  auto r = run_guest("proc_links", {"kill_uncatchable"});
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"killed", "confirmed dead: yes", "end"});
  auto lines = lines_of(r.out);
  auto killed = std::find(lines.begin(), lines.end(), "killed");
  auto confirmed = std::find(lines.begin(), lines.end(), "confirmed dead: yes");
  EXPECT_GT(std::count_if(lines.begin(), killed,
                          [](const std::string& l) { return l.rfind("tick ", 0) == 0; }),
            0)
      << "the ticker never ticked before the kill" << describe(r);
  EXPECT_EQ(std::count_if(confirmed, lines.end(),
                          [](const std::string& l) { return l.rfind("tick ", 0) == 0; }),
            0)
      << "the ticker ran after its death was reported" << describe(r);
  EXPECT_FALSE(contains(r.out, "ticker caught something")) << describe(r);
}

}  // namespace
