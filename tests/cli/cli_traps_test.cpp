// CLI tests. Traps: each kind ends the program with exit code 134 and a line naming the kind and
// function.
#include "support/cli_support.hpp"

#include <string>
#include <utility>

namespace {

using namespace cli_test;

class Traps : public CliTest {};

TEST_F(Traps, UnreachableTrapsWithExitCode134AndNamesTheFunction) {
  auto r = lunatic({"run", guest("trap_unreachable")});
  expect_trap(r, "unreachable executed");
  auto line = line_containing(r.err, "trap:").value_or("");
  auto at = line.find("in function");
  ASSERT_NE(at, std::string::npos) << "the trap line names no function: " << line;
  EXPECT_TRUE(contains(line.substr(at), "trap_here_please")) << "wrong function: " << line;
}

TEST_F(Traps, EveryTrapLineNamesTheFunctionThatTrapped) {
  // Each of these guest functions holds the trapping instruction itself (checked with
  // wasm-objdump; the C ones are noinline, the .wat ones cannot be inlined at the wasm level), so
  // a report naming its caller is wrong.
  const std::pair<const char*, const char*> cases[] = {
      {"trap_div_zero", "divide_by_zero_here"},
      {"trap_overflow", "overflow_here"},
      {"trap_oob", "load_out_of_bounds"},
      {"trap_conversion", "convert_nan_here"},
      {"trap_float_overflow", "truncate_too_big_here"},
      {"trap_stack", "recurse_forever"},
      {"trap_indirect", "__original_main"},
  };
  for (const auto& [module, function] : cases) {
    SCOPED_TRACE(module);
    auto r = lunatic({"run", guest(module)});
    EXPECT_EXIT_CODE(r, 134);
    auto line = line_containing(r.err, "trap:").value_or("");
    auto at = line.find("in function");
    EXPECT_NE(at, std::string::npos) << "the trap line names no function" << describe(r);
    if (at != std::string::npos) {
      EXPECT_TRUE(contains(line.substr(at), function))
          << "expected function " << function << ", got: " << line;
    }
  }
}

TEST_F(Traps, OutputWrittenBeforeATrapIsKept) {
  auto r = lunatic({"run", guest("trap_unreachable")});
  expect_trap(r, "unreachable executed");
  EXPECT_EQ(r.out, "about to trap\n") << describe(r);
}

TEST_F(Traps, IntegerDivisionByZeroTraps) {
  auto r = lunatic({"run", guest("trap_div_zero")});
  expect_trap(r, "integer divide by zero");
  EXPECT_EQ(r.out, "") << describe(r);
}

TEST_F(Traps, SignedDivisionOverflowTraps) {
  auto r = lunatic({"run", guest("trap_overflow")});
  expect_trap(r, "integer overflow");
  EXPECT_EQ(r.out, "") << describe(r);
}

TEST_F(Traps, FloatTruncationOutOfRangeTrapsAsIntegerOverflow) {
  auto r = lunatic({"run", guest("trap_float_overflow")});
  expect_trap(r, "integer overflow");
}

TEST_F(Traps, TruncatingANanTrapsAsInvalidConversion) {
  auto r = lunatic({"run", guest("trap_conversion")});
  expect_trap(r, "invalid conversion to integer");
}

TEST_F(Traps, LoadBeyondTheEndOfMemoryTraps) {
  auto r = lunatic({"run", guest("trap_oob")});
  expect_trap(r, "out of bounds memory access");
  EXPECT_TRUE(contains(r.out, "memory pages ")) << describe(r);
  EXPECT_FALSE(contains(r.out, "loaded")) << describe(r);
}

TEST_F(Traps, CallThroughAPointerOfTheWrongTypeTraps) {
  auto r = lunatic({"run", guest("trap_indirect")});
  expect_trap(r, "indirect call type mismatch");
  EXPECT_EQ(r.out, "") << describe(r);
}

TEST_F(Traps, UnboundedRecursionExhaustsTheCallStackWithoutCrashing) {
  auto r = lunatic({"run", guest("trap_stack")});
  expect_trap(r, "call stack exhausted");
  EXPECT_EQ(r.out, "recursing\n") << describe(r);
}

TEST_F(Traps, ATrapFromACachedArtifactIsReportedTheSameWay) {
  for (const char* which : {"cold", "warm"}) {
    SCOPED_TRACE(which);
    auto r = lunatic({"run", guest("trap_unreachable")});
    expect_trap(r, "unreachable executed");
    EXPECT_TRUE(contains(line_containing(r.err, "trap:").value_or(""), "trap_here_please"))
        << describe(r);
    auto stack = lunatic({"run", guest("trap_stack")});
    expect_trap(stack, "call stack exhausted");
  }
}

}  // namespace
