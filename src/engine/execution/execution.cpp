#include "engine/execution/execution.hpp"

#include <algorithm>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>

#include "common/bounded_text.hpp"

namespace lunatic::engine {
namespace detail {
constinit thread_local ExecutionState* t_current = nullptr;
}
using detail::t_current;

ExecutionState* current_execution() { return t_current; }

void set_current_execution(ExecutionState* state) { t_current = state; }

bool charge_guest_memory(ExecutionState* state, std::uint64_t bytes) {
  if (state == nullptr) return true;
  if (state->budget != nullptr) {
    const std::uint64_t prepaid = std::min(state->prepaid_memory_bytes, bytes);
    if (!state->budget->charge_memory(bytes - prepaid, state->privilege)) return false;
    state->prepaid_memory_bytes -= prepaid;
  }
  state->guest_memory_bytes.store(state->guest_memory_bytes.load(std::memory_order_relaxed) + bytes,
                                  std::memory_order_relaxed);
  return true;
}

void checkpoint_long_operation() {
  ExecutionState* state = t_current;
  if (state == nullptr || state->checkpoint == nullptr) return;
  if (!state->checkpoint(state->checkpoint_arg)) unwind_guest();  // t_current: this thread's now
}

void record_unwind(TrapKind kind, std::string message, std::uint32_t exit_code) {
  ExecutionState* state = t_current;
  if (state == nullptr) return;
  state->kind = kind;
  state->message = bounded_text(std::move(message));  // a guest shapes much of it
  state->exit_code = exit_code;
  state->fault_pc = nullptr;
}

void unwind_guest() {
  ExecutionState* state = t_current;
  if (state == nullptr || state->trap_target == nullptr) {
    std::fprintf(stderr, "lunatic: internal error: guest unwind requested outside guest code\n");
    std::abort();
  }
  // SAFETY: the target was set by Instance::enter on this fiber's stack and is still live;
  // only generated C frames (no destructors) lie between here and there.
  siglongjmp(*state->trap_target, 1);
}

}  // namespace lunatic::engine
