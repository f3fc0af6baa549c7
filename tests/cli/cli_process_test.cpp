// CLI tests. lunatic::process basics through proc_basics.wasm: ids, exists, sleep_ms, kill of
// unknown ids, the version, and how the main process's end ends the run (Lunatic 0.13
// semantics).
#include "support/cli_support.hpp"

#include <cstdint>
#include <string>

namespace {

using namespace cli_test;

class Process : public ProcessTest {};

TEST_F(Process, IdsAreStableAndUniqueAndChildrenShareTheEnvironment) {
  auto r = run_guest("proc_basics", {"ids"});
  EXPECT_EXIT_CODE(r, 0);
  // As in Lunatic, the main process is the first of its environment: 1.
  EXPECT_EQ(number_after(r.out, "main pid: "), 1u) << describe(r);
  expect_lines_in_order(r, {"main pid stable: yes", "environment stable: yes"});
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(has_line(r.out, "child " + std::to_string(i) + " reports the id spawn gave: yes"))
        << describe(r);
  }
  expect_lines_in_order(r, {"child ids distinct: yes", "child ids differ from main: yes",
                            "children share the environment: yes"});
}

TEST_F(Process, ExistsIsOneWhileAProcessLivesAndZeroAfterItEnds) {
  auto r = run_guest("proc_basics", {"exists"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "exists(self): 1\n"
            "exists(waiting child): 1\n"
            "exists(unknown id): 0\n"
            "child ended: yes\n"
            "exists(ended child): 0\n")
      << describe(r);
}

TEST_F(Process, SleepSuspendsOnlyTheCallerAndSleepsOverlap) {
  auto r = run_guest("proc_basics", {"sleep"});
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r,
                        {"main slept at least 300 ms: yes", "the child ran while main slept: yes",
                         "sleepers done: 20 of 20", "20 sleeps of 300 ms overlapped: yes"});
}

TEST_F(Process, KillOfAnIdThatNeverExistedChangesNothing) {
  auto r = run_guest("proc_basics", {"kill_unknown"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "alive after killing unknown ids: yes\n") << describe(r);
}

TEST_F(Process, VersionIsLunatic0_13) {
  auto r = run_guest("proc_basics", {"version"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out.rfind("version: 0.13.", 0), 0u) << describe(r);
}

// Lunatic waits for the main process only: when it returns, the run is over, whatever else runs.
TEST_F(Process, TheRunEndsWhenMainReturnsWithItsValueWhileOthersStillRun) {
  RunOptions opt;
  opt.timeout = std::chrono::seconds(60);
  auto r = run_guest("proc_basics", {"main_exit"}, {}, opt);
  EXPECT_EXIT_CODE(r, 7);
  EXPECT_EQ(r.out, "main ends while two children still run\n") << describe(r);
  EXPECT_LT(r.seconds, 30.0) << describe(r);
}

TEST_F(Process, TheRunEndsWithTheCodeMainPassesToProcExitWhileOthersStillRun) {
  RunOptions opt;
  opt.timeout = std::chrono::seconds(60);
  auto r = run_guest("proc_basics", {"main_proc_exit"}, {}, opt);
  EXPECT_EXIT_CODE(r, 5);
  EXPECT_EQ(r.out, "main ends while two children still run\n") << describe(r);
  EXPECT_LT(r.seconds, 30.0) << describe(r);
}

TEST_F(Process, AChildsTrapIsLoggedWithItsIdAndLeavesTheExitCodeToMain) {
  auto r = run_guest("proc_basics", {"child_failure"});
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"child ended: yes", "main returns 0"});
  auto child = number_after(r.out, "child pid: ");
  ASSERT_TRUE(child.has_value()) << describe(r);
  EXPECT_TRUE(names_process(r.err, *child, "unreachable")) << describe(r);
  EXPECT_FALSE(names_process(r.err, 1)) << "main did not fail" << describe(r);
}

}  // namespace
