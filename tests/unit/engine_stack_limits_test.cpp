// Stack exhaustion without guard pages: generated code checks its stack pointer in every
// function prologue, and the limits that keep that check sound are enforced when a module is
// compiled (engine/execution/stack_limits.hpp).
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "engine/execution/instance.hpp"
#include "engine/execution/stack_limits.hpp"
#include "host/host_context.hpp"
#include "runtime/scheduler.hpp"
#include "support/guest.hpp"

namespace lunatic::engine {
namespace {

constexpr std::string_view kRecursion = R"((module
  (memory 1)
  (func $recurse (export "recurse") (param i64) (result i64)
    ;; the store after the call keeps the C compiler from turning the recursion into a loop
    (i64.store (i32.const 8) (call $recurse (i64.add (local.get 0) (i64.const 1))))
    (i64.load (i32.const 8)))
  (func (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1))))
)";

class Stack : public ::testing::TestWithParam<MemoryMode> {};

TEST_P(Stack, DeepRecursionTrapsAsCallStackExhausted) {
  auto outcome = testing::run(testing::load(kRecursion, GetParam()), "recurse", {0});
  EXPECT_EQ(outcome.kind, TrapKind::kStackExhausted) << outcome.describe();
  EXPECT_EQ(outcome.describe(), "call stack exhausted in function `recurse`");
}

// Stacks are cut from one mapping with nothing between them: a guest that ran off the end of
// its stack would overwrite the top frames of the stack below, which belongs to another process.
TEST_P(Stack, ExhaustionLeavesTheNeighbouringStackIntact) {
  auto module = testing::load(kRecursion, GetParam());
  runtime::Scheduler scheduler;
  bool neighbour_intact = false;
  CallOutcome outcome;
  std::uintptr_t neighbour_high = 0;
  std::uintptr_t recursing_low = 0;
  scheduler.spawn([&](runtime::Process& process) {
    neighbour_high = process.execution().stack_high;
    volatile unsigned char pattern[8192];
    for (size_t i = 0; i < sizeof pattern; ++i) pattern[i] = static_cast<unsigned char>(i * 7);
    process.yield_now();  // the recursing process runs now, on the stack just above this one
    neighbour_intact = true;
    for (size_t i = 0; i < sizeof pattern; ++i) {
      neighbour_intact = neighbour_intact && pattern[i] == static_cast<unsigned char>(i * 7);
    }
  });
  scheduler.spawn([&](runtime::Process& process) {
    recursing_low = process.execution().stack_low;
    host::HostContext context;
    context.blocking = &process;
    auto instance = Instance::create(module, &context, &process.execution(), {});
    ASSERT_TRUE(instance.has_value());
    context.instance = instance->get();
    ASSERT_TRUE((*instance)->instantiate().ok());
    std::uint64_t results[1] = {};
    const std::uint64_t args[1] = {0};
    outcome = (*instance)->call(*module->find_export("recurse"), args, results);
    // The instance stays usable after the trap.
    std::uint64_t sum[1] = {};
    const std::uint64_t operands[2] = {40, 2};
    EXPECT_TRUE((*instance)->call(*module->find_export("add"), operands, sum).ok());
    EXPECT_EQ(sum[0], 42u);
  });
  scheduler.run();
  ASSERT_EQ(recursing_low, neighbour_high) << "the two stacks should touch";
  EXPECT_EQ(outcome.kind, TrapKind::kStackExhausted) << outcome.describe();
  EXPECT_TRUE(neighbour_intact);
}

INSTANTIATE_TEST_SUITE_P(BothMemoryModes, Stack,
                         ::testing::Values(MemoryMode::kGuard, MemoryMode::kBounds),
                         [](const auto& info) {
                           return std::string(memory_mode_name(info.param));
                         });

TEST(StackLimits, AFunctionWithTooManyLocalsIsRefusedWithAClearError) {
  std::string wat = "(module (func $big (export \"big\") (param i32) (local";
  for (std::uint32_t i = 0; i < kMaxFunctionLocals; ++i) wat += " i64";
  wat += ")))";
  auto module = testing::try_load(wat);
  ASSERT_FALSE(module.has_value());
  EXPECT_EQ(module.error().code, Errc::kUnsupportedFeature);
  EXPECT_EQ(module.error().message, "test.wasm: function `big` has " +
                                        std::to_string(kMaxFunctionLocals + 1) +
                                        " params and locals; at most " +
                                        std::to_string(kMaxFunctionLocals) + " are supported");
}

TEST(StackLimits, AFunctionAtTheLocalsLimitIsAccepted) {
  std::string wat = "(module (func (export \"big\") (result i64) (local";
  for (std::uint32_t i = 0; i < kMaxFunctionLocals; ++i) wat += " i64";
  wat += ") (local.get " + std::to_string(kMaxFunctionLocals - 1) + ")))";
  std::uint64_t result = 1;
  EXPECT_TRUE(testing::run(testing::load(wat), "big", {}, &result).ok());
  EXPECT_EQ(result, 0u);
}

// A debug build of Rust declares thousands of short-lived locals (lunatic-rs's supervisor
// tests have a function with 8,012): what counts is the native frame, not the declarations.
TEST(StackLimits, AFunctionWithThousandsOfShortLivedLocalsRuns) {
  constexpr int kLocals = 8000;
  std::string wat = "(module (func (export \"many\") (result i64) (local";
  for (int i = 0; i < kLocals; ++i) wat += " i64";
  wat += ")";
  // Each local is set from the previous one plus one, and only the last is returned.
  for (int i = 1; i < kLocals; ++i) {
    wat += " (local.set " + std::to_string(i) + " (i64.add (local.get " + std::to_string(i - 1) +
           ") (i64.const 1)))";
  }
  wat += " (local.get " + std::to_string(kLocals - 1) + ")))";
  std::uint64_t result = 0;
  EXPECT_TRUE(testing::run(testing::load(wat), "many", {}, &result).ok());
  EXPECT_EQ(result, static_cast<std::uint64_t>(kLocals - 1));
}

// Few locals but thousands of values live at once on the operand stack: the C compiler must
// spill them all, so the native frame outgrows what the stack margin holds.
TEST(StackLimits, AFunctionWhoseNativeFrameIsTooLargeIsRefused) {
  constexpr int kValues = 4200;  // 33 KiB of f64 (x86-64 keeps none in callee-saved registers)
  static_assert(kValues * 8 > kMaxGuestFrameBytes);
  // $g has a side effect, so the compiler cannot merge the calls.
  std::string wat =
      "(module (global $n (mut f64) (f64.const 0)) (func $g (result f64) "
      "(global.set $n (f64.add (global.get $n) (f64.const 1))) (global.get $n)) "
      "(func (export \"wide\") (result f64)";
  for (int i = 0; i < kValues; ++i) wat += " (call $g)";
  for (int i = 1; i < kValues; ++i) wat += " f64.add";  // not reassociated: all stay live
  wat += "))";
  auto module = testing::try_load(wat);
  ASSERT_FALSE(module.has_value());
  EXPECT_EQ(module.error().code, Errc::kUnsupportedFeature);
  EXPECT_NE(module.error().message.find("needs a native stack frame larger than 32768 bytes"),
            std::string::npos)
      << module.error().message;
}

}  // namespace
}  // namespace lunatic::engine
