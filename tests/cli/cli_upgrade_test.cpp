// CLI tests. Hot code upgrade (lunatic::upgrade) seen from inside, through upgrade_v1.wasm: its
// counters move to upgrade_v2.wasm at a message boundary, keeping their id, mailbox, monitors
// and converted state, and every way an upgrade can fail leaves the old code running.
#include "support/cli_support.hpp"

#include <string>

namespace {

using namespace cli_test;

class Upgrade : public ProcessTest {
 protected:
  RunResult run() {
    return run_guest("upgrade_v1",
                     {guest("upgrade_v2"), guest("upgrade_v2_bad"), guest("upgrade_plain")},
                     {"--dir", GUESTS_DIR});
  }
};

TEST_F(Upgrade, ProcessesMoveToTheNewCodeWithTheirStateConverted) {
  auto r = run();
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"c1 before: v1 count=5 last=2 disorder=0",
                            "c2 after: v2 count=5 last=2 disorder=0 from=counter-v1", "main done"});
  // Three counters moved; the fourth process of v1 (its code refuses to hand over) stayed.
  const auto moved = line_containing(r.out, "upgrade this module's processes to v2: ");
  ASSERT_TRUE(moved) << describe(r);
  EXPECT_TRUE(contains(*moved, ": 3 upgraded=3 failed=1 timed_out=0 restarted=0 reason: process "))
      << *moved;
  EXPECT_TRUE(contains(*moved, "lunatic_upgrade_save refused (returned 1)")) << *moved;
}

TEST_F(Upgrade, MessagesSentInATightLoopDuringTheUpgradeAllArriveInOrder) {
  auto r = run();
  EXPECT_EXIT_CODE(r, 0);
  // 20,000 numbered adds, half of them sent after the upgrade was asked for: none lost
  // (count), none out of order (disorder), the last one seen last.
  expect_lines_in_order(
      r, {"flooder: done", "c1 after: v2 count=20005 last=20002 disorder=0 from=counter-v1"});
}

TEST_F(Upgrade, AFailingConversionLeavesTheOldCodeRunningWithItsState) {
  auto r = run();
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(
      r, {"upgrade c1 to the version whose load traps: 2 process 2: lunatic_upgrade_load: "
          "unreachable executed in function `upgrade_load`",
          "c1 after the failed upgrade: v1 count=5 last=2 disorder=0"});
}

TEST_F(Upgrade, AProcessAwayFromAMessageBoundaryIsUpgradedAtACheckpointOrTimesOut) {
  auto r = run();
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"upgrade the stuck process: 3", "upgrade the sleeper: 0 ",
                            "sleeper after: v2 count=0 last=0 disorder=0 from=counter-v1"});
  EXPECT_FALSE(contains(r.out, "sleeper: an upgrade failed")) << describe(r);
  // The request that timed out was withdrawn: it does not block the module's upgrade after it.
  EXPECT_FALSE(contains(r.out, "another upgrade of it is under way")) << describe(r);
}

TEST_F(Upgrade, AThirdVersionIsRefusedWhileTheFirstStillRuns) {
  auto r = run();
  EXPECT_EXIT_CODE(r, 0);
  const std::string refused =
      ": 2 upgraded=0 failed=0 timed_out=0 restarted=0 reason: two versions are loaded already "
      "and 1 process(es) still run the old one; a third is refused until they end (or the "
      "upgrade purges them)";
  // The process still on v1 is the refuser; main is on v1 too, but holds no version loaded.
  expect_lines_in_order(r, {"a third version" + refused, "refuser killed: process-died refuser",
                            "a third version once v1 is gone: 0 upgraded=4 failed=0 "
                            "timed_out=0 restarted=0",
                            "c1 on the third version: v2 count=20005 last=20002 disorder=0 "
                            "from=counter-v2"});
}

TEST_F(Upgrade, APurgeKillsWhatStillRunsTheOldVersionSoAFourthCanLoad) {
  auto r = run();
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"a fourth version: 2 upgraded=0 failed=0 timed_out=0 restarted=0 "
                            "reason: two versions are loaded already and 1 process(es) still "
                            "run the old one; a third is refused until they end (or the upgrade "
                            "purges them)",
                            "a fourth version, purging: 0 upgraded=4 failed=0 timed_out=0 "
                            "restarted=0",
                            "purged: 1", "after the purge: process-died old one"});
}

TEST_F(Upgrade, CodeThatCannotHandOverItsStateFailsOrIsRestartedWhenAsked) {
  auto r = run();
  EXPECT_EXIT_CODE(r, 0);
  const auto without = line_containing(r.out, "upgrade code without lunatic_upgrade_save: ");
  ASSERT_TRUE(without) << describe(r);
  EXPECT_TRUE(contains(*without, ": 3 upgraded=0 failed=2 timed_out=0 restarted=0 reason: "))
      << *without;
  EXPECT_TRUE(contains(*without, "the module exports no function `lunatic_upgrade_save`"))
      << *without;
  expect_lines_in_order(r,
                        {"the same with restart: 0 upgraded=0 failed=0 timed_out=0 restarted=2"});
  EXPECT_TRUE(has_line(r.out, "after restart: process-died waiter1")) << describe(r);
  EXPECT_TRUE(has_line(r.out, "after restart: process-died waiter2")) << describe(r);
}

TEST_F(Upgrade, AnUpgradedProcessKeepsItsIdItsNameAndWhoMonitorsIt) {
  auto r = run();
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"c1 after: v2 count=20005 last=20002 disorder=0 from=counter-v1",
                            "the name counter-one after: v2 count=20005 last=20002 disorder=0 "
                            "from=counter-v1",
                            "c1 killed: process-died c1"});
}

}  // namespace

// The C++ SDK (lunatic/upgrade.hpp): a Server's code_change converts its state, a refusal leaves
// version 1 serving with its state, and a supervisor's children move one by one.
class SdkUpgrade : public ProcessTest {};

TEST_F(SdkUpgrade, ServersConvertTheirStateAndASupervisorsChildrenMoveOneByOne) {
  auto r = run_guest("sdk_upgrade", {guest("sdk_upgrade_v2")}, {"--dir", GUESTS_DIR});
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"upgrade 13: process 2: lunatic_upgrade_load refused the state "
                            "(returned 3)",
                            "13 after: v1 value=14", "upgrade_children: upgraded=2 failed=0",
                            "counter0: v2 history=15,17,", "counter1: v2 history=25,27,"});
  EXPECT_TRUE(contains(r.err, "lunatic: upgrade: counter from counter-v1 refused: unlucky"))
      << describe(r);
}

TEST_F(SdkUpgrade, AServerThatCannotHandOverIsRestartedByItsSupervisorWhenAsked) {
  auto r = run_guest("sdk_upgrade", {guest("sdk_upgrade_v2")}, {"--dir", GUESTS_DIR});
  EXPECT_EXIT_CODE(r, 0);
  const auto kept = line_containing(r.out, "plain without restart: ");
  ASSERT_TRUE(kept) << describe(r);
  EXPECT_TRUE(contains(*kept, "upgraded=0 failed=1 plain: process ")) << *kept;
  EXPECT_TRUE(contains(*kept, ": lunatic_upgrade_save refused (returned 1)")) << *kept;
  expect_lines_in_order(r, {"plain with restart: upgraded=1 failed=0",
                            "plain restarted: yes, restarts 1, answers: plain v1"});
}
