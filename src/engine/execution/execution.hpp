// The guest activation of one fiber: where a trap jumps to, and what it reports.
//
// Each fiber that runs wasm owns one ExecutionState. The scheduler points the thread-local
// `current` at it whenever it switches to that fiber, so generated code, host thunks and the
// signal handler always unwind the guest that is running on this thread, on its own stack.
#pragma once

#include <atomic>
#include <csetjmp>
#include <cstdint>
#include <limits>
#include <string>

#include "common/resource_budget.hpp"
#include "engine/execution/trap.hpp"

namespace lunatic::engine {

struct ExecutionState {
  sigjmp_buf* trap_target = nullptr;  // set by Instance around every guest call
  // The fiber stack this guest runs on: [stack_low, stack_high), 0 when unknown. Generated code
  // traps before it comes within kGuestStackMargin of stack_low (stack_limits.hpp). Every host
  // call reads stack_low, so it shares the first cache line with the trap target.
  std::uintptr_t stack_low = 0;
  std::uintptr_t stack_high = 0;
  TrapKind kind = TrapKind::kNone;
  std::uint32_t exit_code = 0;     // for TrapKind::kExit
  const void* fault_pc = nullptr;  // the instruction that trapped, when known
  // The running instance's linear memory: how it is allocated, how far it may grow, and (in
  // guard mode) the reservation whose faults are out-of-bounds accesses.
  bool guard_memory = false;
  std::uint64_t memory_limit_bytes = std::uint64_t{1} << 32;
  std::uintptr_t memory_low = 0;
  std::uintptr_t memory_high = 0;
  // What the process's guest memory (linear memory and tables) is charged to, with the
  // privilege it charges with; nullptr: nothing is counted. Outlives every instance run here.
  ResourceBudget* budget = nullptr;
  Privilege privilege = Privilege::kNormal;
  // Bytes charged ahead, by the spawn, for the instance's memory and tables at their initial
  // sizes (charge_guest_memory takes from them first).
  std::uint64_t prepaid_memory_bytes = 0;
  // Bytes of memory and tables the instance allocated, written by its own thread and read by
  // introspection from any other.
  std::atomic<std::uint64_t> guest_memory_bytes{0};
  // Set by the host: lets the process be preempted, or killed, in the middle of one long
  // runtime operation (a bulk fill or copy, a large grow). Returns false, with the reason
  // recorded (record_unwind), when the guest must unwind instead of going on.
  bool (*checkpoint)(void* arg) = nullptr;
  void* checkpoint_arg = nullptr;
  std::string message;  // host-supplied detail, may be empty
};

// Charges `bytes` of guest memory (a memory or table allocated or grown) to the running
// process's budget, from what its spawn paid ahead first. Returns: false when the budget
// refuses, and nothing is charged then; true when there is no budget to charge.
bool charge_guest_memory(ExecutionState* state, std::uint64_t bytes);

// The state of the guest running on this thread, or nullptr outside guest code.
ExecutionState* current_execution();
void set_current_execution(ExecutionState* state);

// Between the pieces of a long runtime operation called from generated code: runs the running
// process's checkpoint, which may switch to other processes, and unwinds the guest when it says
// so (a kill). Must only be called with no live C++ objects between here and the guest frames.
void checkpoint_long_operation();

// Records why the guest must stop. Call it, leave every scope that owns resources, then call
// unwind_guest(). Thread: the thread running the guest.
void record_unwind(TrapKind kind, std::string message, std::uint32_t exit_code = 0);

// Jumps to the current guest's trap target. Must only be called with no live C++ objects
// between here and the guest frames (the host thunks guarantee this).
[[noreturn]] void unwind_guest();

namespace detail {
// Read through current_execution(); exposed only so stack_headroom can be inline.
extern constinit thread_local ExecutionState* t_current;
}  // namespace detail

// Bytes of fiber stack left below the caller's frame; a very large number when unknown.
// Inline, as every host call checks it first. It reads this thread's TLS: a function that may
// resume on another worker after a fiber switch must not call it after the switch.
inline std::uintptr_t stack_headroom() {
  const ExecutionState* state = detail::t_current;
  if (state == nullptr || state->stack_low == 0) return std::numeric_limits<std::uintptr_t>::max();
  const auto here = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  return here > state->stack_low ? here - state->stack_low : 0;
}

}  // namespace lunatic::engine
