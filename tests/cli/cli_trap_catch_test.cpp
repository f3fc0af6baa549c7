// CLI tests. lunatic::trap::catch through proc_trap_catch.wasm and two WAT modules without a
// usable _lunatic_catch_trap export.
#include "support/cli_support.hpp"

namespace {

using namespace cli_test;

class TrapCatch : public ProcessTest {};

TEST_F(TrapCatch, ACaughtTrapReturnsZeroANormalCallItsValueAndTheProcessGoesOn) {
  auto r = run_guest("proc_trap_catch");
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {
                               "returns 42: 42",
                               "returns -7: -7",
                               "unreachable: 0",
                               "divide by zero: 0",
                               "out of bounds load: 0",
                               "host function trap: 0",
                               "nested catch: 10",
                               "1000 more caught traps: done",
                               "state kept: yes",
                               "main continues",
                           });
}

TEST_F(TrapCatch, ACaughtTrapIsNoFailureOfTheProcess) {
  auto r = run_guest("proc_trap_catch");
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"linked child went on after catching: yes (catch returned 0)",
                            "then: process-died catcher", "then: timeout"});
}

TEST_F(TrapCatch, WithoutAFunctionExportNamedLunaticCatchTrapTheCallerTraps) {
  for (const char* module : {"trap_catch_no_export", "trap_catch_not_a_function"}) {
    SCOPED_TRACE(module);
    auto r = run_guest(module);
    EXPECT_EXIT_CODE(r, 134);
    EXPECT_TRUE(names_process(r.err, 1, "trap")) << describe(r);
  }
}

}  // namespace
