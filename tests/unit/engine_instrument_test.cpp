// Instrumentation for preemption: a budget check at every loop header and at the entry of every
// function on a call-graph cycle, cycles through tables included, and none in straight-line
// code.
#include <gtest/gtest.h>
#include <wabt/ir.h>

#include <span>

#include "engine/compile/instrument.hpp"
#include "engine/compile/wasm_reader.hpp"
#include "support/wat.hpp"

namespace lunatic::engine {
namespace {

std::span<const std::uint8_t> as_bytes(const std::string& wasm) {
  return std::span(reinterpret_cast<const std::uint8_t*>(wasm.data()), wasm.size());
}

TEST(Instrumentation, ChecksLoopsAndRecursionButNotStraightLineCode) {
  std::string wasm = testing::wat_to_wasm(R"((module
    (func $straight (result i32) i32.const 1)
    (func $looping (param i32) (loop $l (br_if $l (local.get 0))))
    (func $self (param i32) (result i32) (call $self (local.get 0)))
    (func $ping (call $pong))
    (func $pong (call $ping))
    (func $calls_only (drop (call $straight)))))");
  auto parsed = read_module(as_bytes(wasm), "test.wasm");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  auto result = instrument_for_preemption(*parsed->ir);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->checked_loops, 1u);
  EXPECT_EQ(result->checked_functions, 3u);  // self, ping, pong
  EXPECT_EQ(parsed->ir->imports.back()->module_name, kYieldHookModule);
}

TEST(Instrumentation, FindsCyclesThroughIndirectCalls) {
  std::string wasm = testing::wat_to_wasm(R"((module
    (type $t (func))
    (table 1 funcref)
    (elem (i32.const 0) $through_table)
    (func $through_table (call_indirect (type $t) (i32.const 0)))
    (func $leaf)))");
  auto parsed = read_module(as_bytes(wasm), "test.wasm");
  ASSERT_TRUE(parsed.has_value()) << parsed.error().message;
  auto result = instrument_for_preemption(*parsed->ir);
  ASSERT_TRUE(result.has_value()) << result.error().message;
  EXPECT_EQ(result->checked_functions, 1u);
  EXPECT_EQ(result->function_names[result->yield_import_index + 1], "through_table");
}

}  // namespace
}  // namespace lunatic::engine
