// CLI tests. Links through proc_links.wasm: failures travel along links both ways,
// die_when_link_dies(0) turns them into link-died messages, normal ends do not travel, unlink
// stops them (Lunatic 0.13 semantics: lunatic-process/src/lib.rs).
#include "support/cli_support.hpp"

#include <string>

namespace {

using namespace cli_test;

class Links : public ProcessTest {};

TEST_F(Links, ALinkedChildsTrapKillsTheParent) {
  auto r = run_guest("proc_links", {"trap_kills_linked_parent"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "A: process-died A\n")
      << "A must die with its child, not survive" << describe(r);
}

TEST_F(Links, AParentsFailureKillsItsLinkedChild) {
  auto r = run_guest("proc_links", {"failure_kills_linked_child"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "A: process-died A\nB exists after A failed: 0\n") << describe(r);
}

TEST_F(Links, TheMainProcessDiesWithItsLinkedChildAndTheRunFails) {
  auto r = run_guest("proc_links", {"main_dies_with_link"});
  EXPECT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.signal, 0) << describe(r);
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_EQ(r.out, "spawned a linked child that traps: 0\n") << describe(r);
  EXPECT_TRUE(names_process(r.err, 1)) << describe(r);
  EXPECT_LT(r.seconds, 4.0) << "main should die at once, not after its 5 s wait" << describe(r);
}

TEST_F(Links, WithDieWhenLinkDiesZeroAFailureArrivesAsALinkDiedMessageWithTheTag) {
  auto r = run_guest("proc_links", {"trap_exit"});
  EXPECT_EXIT_CODE(r, 0);
  // Lunatic's link-died message carries the tag only: get_process_id gives 0.
  EXPECT_EQ(r.out,
            "received: link-died tag=42\n"
            "link-died get_process_id: 0\n"
            "then: timeout\n"
            "main continues\n")
      << describe(r);
}

TEST_F(Links, ReturningOrProcExitZeroIsNotAFailureAndTravelsNowhere) {
  auto r = run_guest("proc_links", {"normal_exit"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "first: process-died returning child\n"
            "then: timeout\n"
            "first: process-died proc_exit(0) child\n"
            "then: timeout\n"
            "main continues\n")
      << describe(r);
}

// Lunatic treats any exit status but 0 as a failure ("Exited with i32 exit status 3").
TEST_F(Links, ProcExitWithANonZeroCodeIsAFailure) {
  auto r = run_guest("proc_links", {"proc_exit_nonzero"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(has_line(r.out, "received: link-died tag=10")) << describe(r);
}

TEST_F(Links, LinkingToAnIdThatDoesNotExistKillsTheCaller) {
  auto r = run_guest("proc_links", {"link_unknown"});
  EXPECT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.signal, 0) << describe(r);
  EXPECT_NE(r.exit_code, 0) << describe(r);
  EXPECT_FALSE(contains(r.out, "main survived")) << describe(r);
  EXPECT_LT(r.seconds, 4.0) << describe(r);
}

TEST_F(Links, LinkingToAnIdThatDoesNotExistSendsLinkDiedWhenTrappingExits) {
  auto r = run_guest("proc_links", {"link_unknown_trap_exit"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "linked to an unknown id\n"
            "received: link-died tag=4\n"
            "main continues\n")
      << describe(r);
}

TEST_F(Links, ALinkMadeWithLinkWorksBothWays) {
  auto r = run_guest("proc_links", {"link_call"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "received: link-died tag=11\nA died: 1, B died: 1\n") << describe(r);
}

TEST_F(Links, AfterUnlinkAChildsTrapStaysItsOwn) {
  auto r = run_guest("proc_links", {"unlink"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "first: process-died child\nthen: timeout\nmain survived\n") << describe(r);
}

}  // namespace
