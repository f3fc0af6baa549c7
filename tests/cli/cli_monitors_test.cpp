// CLI tests. lunatic::process::monitor and stop_monitoring through proc_monitors.wasm (Lunatic
// 0.13 semantics: a monitor hears every end; monitoring a process that is gone sends nothing).
#include "support/cli_support.hpp"

namespace {

using namespace cli_test;

class Monitors : public ProcessTest {};

TEST_F(Monitors, AMonitorHearsEveryKindOfEndAndIsNotKilledByIt) {
  auto r = run_guest("proc_monitors", {"kinds"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "return: process-died returning child\n"
            "process-died get_tag: 0\n"
            "trap: process-died trapping child\n"
            "proc_exit(3): process-died exiting child\n"
            "kill: process-died killed child\n"
            "then: timeout\n"
            "main continues\n")
      << describe(r);
}

TEST_F(Monitors, StopMonitoringSilencesThatMonitorOnly) {
  auto r = run_guest("proc_monitors", {"stop"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "the observer saw the child end: yes\nmain's mailbox: timeout\n") << describe(r);
}

// lunatic-process-api's monitor() sends nothing when the process does not exist (any more).
TEST_F(Monitors, MonitoringAnEndedOrUnknownProcessSendsNothing) {
  auto r = run_guest("proc_monitors", {"dead"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "first: process-died child\n"
            "after monitoring the ended child: timeout\n"
            "after monitoring an unknown id: timeout\n"
            "main continues\n")
      << describe(r);
}

}  // namespace
