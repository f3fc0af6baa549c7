// The host thunk: a host function's result comes back to the guest, and every way it can fail
// becomes an unwind of the guest with the right trap kind and message.
#include <gtest/gtest.h>

#include <csetjmp>
#include <cstdint>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#include "engine/execution/execution.hpp"
#include "engine/execution/stack_limits.hpp"
#include "engine/execution/trap.hpp"
#include "host/host_context.hpp"
#include "host/host_function.hpp"

namespace lunatic::host {
namespace {

using engine::TrapKind;

struct ThunkResult {
  bool returned = false;  // the thunk returned instead of unwinding
  std::uint32_t value = 0;
  TrapKind kind = TrapKind::kNone;
  std::string message;
  std::uint32_t exit_code = 0;
};

int calls = 0;

std::uint32_t doubles(HostContext&, std::uint32_t value) {
  ++calls;
  return value * 2;
}
std::uint32_t traps(HostContext&, std::uint32_t) {
  throw engine::GuestTrap{TrapKind::kOutOfBounds, "lunatic::test: pointer out of bounds"};
}
std::uint32_t exits(HostContext&, std::uint32_t code) { throw engine::GuestExit{code}; }
std::uint32_t runs_out_of_memory(HostContext&, std::uint32_t) { throw std::bad_alloc(); }
std::uint32_t fails(HostContext&, std::uint32_t) { throw std::runtime_error("disk on fire"); }
std::uint32_t throws_something_else(HostContext&, std::uint32_t) { throw 42; }
std::uint32_t refuses(HostContext&, std::uint32_t id) {
  fail("thing id " + std::to_string(id) + " does not exist");
}

// Calls the thunk of Fn as generated code would: inside a guest activation with a trap target.
// `stack_left` > 0 pretends the fiber stack ends that many bytes below this frame.
template <auto Fn>
ThunkResult call_thunk(std::uint32_t argument, std::uintptr_t stack_left = 0) {
  // On the heap: a longjmp back here leaves what it points to as the thunk left it.
  auto state = std::make_unique<engine::ExecutionState>();
  auto result = std::make_unique<ThunkResult>();
  HostContext context;
  if (stack_left > 0) {
    state->stack_low = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0)) - stack_left;
  }
  sigjmp_buf target;
  state->trap_target = &target;
  engine::set_current_execution(state.get());
  if (sigsetjmp(target, 0) == 0) {
    result->value = detail::Thunk<Fn, "lunatic::test", "call", std::uint32_t, std::uint32_t>::call(
        &context, argument);
    result->returned = true;
  }
  engine::set_current_execution(nullptr);
  result->kind = state->kind;
  result->message = state->message;
  result->exit_code = state->exit_code;
  return *result;
}

TEST(HostThunk, ReturnsTheHostFunctionsResult) {
  const ThunkResult result = call_thunk<&doubles>(21);
  EXPECT_TRUE(result.returned);
  EXPECT_EQ(result.value, 42u);
  EXPECT_EQ(result.kind, TrapKind::kNone);
}

TEST(HostThunk, AGuestTrapUnwindsWithItsKindAndMessage) {
  const ThunkResult result = call_thunk<&traps>(0);
  EXPECT_FALSE(result.returned);
  EXPECT_EQ(result.kind, TrapKind::kOutOfBounds);
  EXPECT_EQ(result.message, "lunatic::test: pointer out of bounds");
}

TEST(HostThunk, ARefusalIsAHostErrorNamingTheFunction) {
  const ThunkResult result = call_thunk<&refuses>(7);
  EXPECT_FALSE(result.returned);
  EXPECT_EQ(result.kind, TrapKind::kHostError);
  EXPECT_EQ(result.message, "lunatic::test::call: thing id 7 does not exist");
}

TEST(HostThunk, AGuestExitUnwindsWithItsCode) {
  const ThunkResult result = call_thunk<&exits>(7);
  EXPECT_FALSE(result.returned);
  EXPECT_EQ(result.kind, TrapKind::kExit);
  EXPECT_EQ(result.exit_code, 7u);
}

TEST(HostThunk, OtherFailuresBecomeHostErrors) {
  const ThunkResult out_of_memory = call_thunk<&runs_out_of_memory>(0);
  EXPECT_FALSE(out_of_memory.returned);
  EXPECT_EQ(out_of_memory.kind, TrapKind::kHostError);
  EXPECT_EQ(out_of_memory.message, "lunatic::test::call: out of memory");

  const ThunkResult failure = call_thunk<&fails>(0);
  EXPECT_EQ(failure.kind, TrapKind::kHostError);
  EXPECT_EQ(failure.message, "lunatic::test::call: disk on fire");

  const ThunkResult unknown = call_thunk<&throws_something_else>(0);
  EXPECT_EQ(unknown.kind, TrapKind::kHostError);
  EXPECT_EQ(unknown.message, "lunatic::test::call: unknown failure");
}

TEST(HostThunk, RefusesToRunTheHostFunctionShortOfStack) {
  calls = 0;
  const ThunkResult refused = call_thunk<&doubles>(1, engine::kHostStackReserve / 2);
  EXPECT_FALSE(refused.returned);
  EXPECT_EQ(refused.kind, TrapKind::kStackExhausted);
  EXPECT_EQ(refused.message, "host call: not enough stack left");
  EXPECT_EQ(calls, 0);

  const ThunkResult enough = call_thunk<&doubles>(1, engine::kHostStackReserve * 2);
  EXPECT_TRUE(enough.returned);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace lunatic::host
