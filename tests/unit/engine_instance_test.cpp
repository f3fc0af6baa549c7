// Running guests in-process: results, every trap kind, limits, and preemption beside a sleeper.
// Modules are compiled once per test binary into a private cache.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>

#include "engine/engine.hpp"
#include "engine/execution/instance.hpp"
#include "engine/memory/linear_memory.hpp"
#include "host/host_context.hpp"
#include "host/host_function.hpp"
#include "runtime/scheduler.hpp"
#include "support/guest.hpp"

namespace lunatic::engine {
namespace {

using testing::load;
using testing::run;

constexpr std::string_view kTraps = R"((module
  (type $nullary (func))
  (memory 1 2)
  (table 2 funcref)
  (elem (i32.const 0) $add)
  (func $add (export "add") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))
  (func $die (export "unreachable") unreachable)
  (func (export "div_zero") (result i32) (i32.div_u (i32.const 1) (i32.const 0)))
  (func (export "overflow") (result i32) (i32.div_s (i32.const 0x80000000) (i32.const -1)))
  (func (export "conversion") (result i32) (i32.trunc_f32_s (f32.const nan)))
  (func (export "indirect_type") (call_indirect (type $nullary) (i32.const 0)))
  (func (export "indirect_null") (call_indirect (type $nullary) (i32.const 1)))
  (func $load_far (export "oob") (result i32) (i32.load (i32.const 0x7ffffff0)))
  (func (export "oob_edge") (result i32) (i32.load (i32.const 65534)))
  (func $recurse (export "recurse") (param i64) (result i64)
    ;; the store after the call keeps the C compiler from turning the recursion into a loop
    (i64.store (i32.const 8) (call $recurse (i64.add (local.get 0) (i64.const 1))))
    (i64.load (i32.const 8)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0)))
  (func (export "spin") (loop $forever (br $forever)))))";

class Traps : public ::testing::TestWithParam<MemoryMode> {};

TEST_P(Traps, AnExportReturnsItsResult) {
  std::uint64_t result = 0;
  auto outcome = run(load(kTraps, GetParam()), "add", {40, 2}, &result);
  ASSERT_TRUE(outcome.ok()) << outcome.describe();
  EXPECT_EQ(result, 42u);
}

TEST_P(Traps, EachTrapKindIsReportedWithTheFunction) {
  auto module = load(kTraps, GetParam());
  struct Case {
    const char* name;
    TrapKind kind;
  };
  for (const Case& c :
       {Case{"unreachable", TrapKind::kUnreachable}, Case{"div_zero", TrapKind::kDivisionByZero},
        Case{"overflow", TrapKind::kIntegerOverflow},
        Case{"conversion", TrapKind::kInvalidConversion},
        Case{"indirect_type", TrapKind::kIndirectCallMismatch},
        Case{"indirect_null", TrapKind::kIndirectCallMismatch}, Case{"oob", TrapKind::kOutOfBounds},
        Case{"oob_edge", TrapKind::kOutOfBounds}, Case{"recurse", TrapKind::kStackExhausted}}) {
    std::vector<std::uint64_t> args(std::string_view(c.name) == "recurse" ? 1 : 0);
    InstanceLimits limits;
    limits.max_fuel = 2'000'000'000;  // a case that loops instead of trapping fails, not hangs
    auto outcome = run(module, c.name, args, nullptr, limits);
    EXPECT_EQ(outcome.kind, c.kind) << c.name << ": " << outcome.describe();
  }
  EXPECT_EQ(run(module, "unreachable").function, "die");
  EXPECT_EQ(run(module, "recurse", {0}).function, "recurse");
}

TEST_P(Traps, ACallWithTheWrongNumberOfArgumentsIsRefusedNotRun) {
  auto module = load(kTraps, GetParam());
  auto outcome = run(module, "recurse", {});
  EXPECT_EQ(outcome.kind, TrapKind::kHostError);
  EXPECT_NE(outcome.message.find("expects 1 argument"), std::string::npos) << outcome.message;
}

TEST_P(Traps, MemoryGrowsToItsDeclaredMaximumAndNoFurther) {
  auto module = load(kTraps, GetParam());
  std::uint64_t result = 0;
  ASSERT_TRUE(run(module, "grow", {1}, &result).ok());
  EXPECT_EQ(result, 1u);  // old size in pages
  ASSERT_TRUE(run(module, "grow", {2}, &result).ok());
  EXPECT_EQ(static_cast<std::uint32_t>(result), 0xffffffffu);
}

TEST_P(Traps, MemoryGrowFailsPastTheConfiguredLimit) {
  auto module = load(
      "(module (memory 1) (func (export \"grow\") (param i32) (result i32) "
      "(memory.grow (local.get 0))))",
      GetParam());
  InstanceLimits limits;
  limits.max_memory_bytes = 4 * kWasmPageSize;
  std::uint64_t result = 0;
  ASSERT_TRUE(run(module, "grow", {3}, &result, limits).ok());
  EXPECT_EQ(result, 1u);
  ASSERT_TRUE(run(module, "grow", {4}, &result, limits).ok());
  EXPECT_EQ(static_cast<std::uint32_t>(result), 0xffffffffu);
}

TEST_P(Traps, AnInfiniteLoopRunsOutOfFuel) {
  InstanceLimits limits;
  limits.max_fuel = 1'000'000;
  auto outcome = run(load(kTraps, GetParam()), "spin", {}, nullptr, limits);
  EXPECT_EQ(outcome.kind, TrapKind::kOutOfFuel) << outcome.describe();
}

INSTANTIATE_TEST_SUITE_P(BothMemoryModes, Traps,
                         ::testing::Values(MemoryMode::kGuard, MemoryMode::kBounds),
                         [](const auto& info) {
                           return std::string(memory_mode_name(info.param));
                         });

TEST(Memory, ModulesCanDeclareTheFull4GiB) {
  auto module = load(
      "(module (memory 1 65536) (func (export \"grow\") (param i32) (result i32) "
      "(memory.grow (local.get 0))) (func (export \"touch\") (result i32) "
      "(i32.store8 (i32.const 0xffffffff) (i32.const 7)) "
      "(i32.load8_u (i32.const 0xffffffff))))");
  std::uint64_t result = 0;
  ASSERT_TRUE(run(module, "grow", {65535}, &result).ok());
  EXPECT_EQ(result, 1u);
}

TEST(Preemption, ASpinningProcessDoesNotStarveASleepingOne) {
  auto module = load(kTraps);
  runtime::Scheduler scheduler;
  std::vector<double> lateness_ms;
  for (int i = 0; i < 3; ++i) {
    scheduler.spawn([&](runtime::Process& process) {
      host::HostContext context;
      context.blocking = &process;
      InstanceLimits limits;
      limits.max_fuel = 400'000'000;  // stops the spinner after a while
      auto instance = Instance::create(module, &context, &process.execution(), limits);
      context.instance = instance->get();
      ASSERT_TRUE((*instance)->instantiate().ok());
      EXPECT_EQ((*instance)->call(*module->find_export("spin"), {}, {}).kind, TrapKind::kOutOfFuel);
    });
  }
  scheduler.spawn([&](runtime::Process& process) {
    for (int i = 0; i < 20; ++i) {
      auto deadline = runtime::Clock::now() + std::chrono::milliseconds(1);
      process.sleep_until(deadline);
      lateness_ms.push_back(
          std::chrono::duration<double, std::milli>(runtime::Clock::now() - deadline).count());
    }
  });
  scheduler.run();
  ASSERT_EQ(lateness_ms.size(), 20u);
  std::sort(lateness_ms.begin(), lateness_ms.end());
  // Starvation would show as lateness near a spinner's whole run (hundreds of ms) on most
  // wakes. The margin of many time slices allows for the OS descheduling this thread on a
  // loaded machine (CI runs two test processes on two cores), where 7 ms was seen.
  EXPECT_LE(lateness_ms[17], 25.0) << "90% of wakes should come within 25 ms beside three spinners";
}

}  // namespace
}  // namespace lunatic::engine
