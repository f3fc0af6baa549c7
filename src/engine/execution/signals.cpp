#include "engine/execution/signals.hpp"

#include <signal.h>
#include <sys/mman.h>
#include <ucontext.h>

#include <csetjmp>
#include <cstdint>
#include <mutex>

#include "engine/execution/code_registry.hpp"
#include "engine/execution/execution.hpp"

namespace lunatic::engine {
namespace {

constexpr size_t kSignalStackSize = 64 * 1024;

struct sigaction g_previous_segv;
struct sigaction g_previous_bus;

std::uintptr_t faulting_pc(void* context) {
#if defined(__x86_64__)
  return static_cast<std::uintptr_t>(static_cast<ucontext_t*>(context)->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<std::uintptr_t>(static_cast<ucontext_t*>(context)->uc_mcontext.pc);
#else
#error "unsupported architecture"
#endif
}

void pass_on(int signal, siginfo_t* info, void* context) {
  const struct sigaction& previous = signal == SIGBUS ? g_previous_bus : g_previous_segv;
  if (previous.sa_flags & SA_SIGINFO) {
    if (previous.sa_sigaction != nullptr) {
      previous.sa_sigaction(signal, info, context);
      return;
    }
  } else if (previous.sa_handler != SIG_DFL && previous.sa_handler != SIG_IGN) {
    previous.sa_handler(signal);
    return;
  }
  // Default action: returning re-executes the faulting instruction, which now kills us.
  ::signal(signal, SIG_DFL);
}

void handle_fault(int signal, siginfo_t* info, void* context) {
  ExecutionState* state = current_execution();
  const auto pc = faulting_pc(context);
  const auto address = reinterpret_cast<std::uintptr_t>(info->si_addr);
  if (state != nullptr && state->trap_target != nullptr && is_generated_code(pc)) {
    // Stack exhaustion never faults: generated code checks its stack pointer in every prologue.
    if (state->guard_memory && address >= state->memory_low && address < state->memory_high) {
      // No allocation here: the message is cleared, never assigned.
      state->kind = TrapKind::kOutOfBounds;
      state->message.clear();
      state->fault_pc = reinterpret_cast<const void*>(pc);
      // SAFETY: the target is on this guest's fiber stack, below which only generated C frames
      // lie; the handler runs on the alternate stack and SA_NODEFER keeps the signal unblocked.
      siglongjmp(*state->trap_target, 1);
    }
  }
  pass_on(signal, info, context);
}

}  // namespace

void install_trap_handlers() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = handle_fault;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &g_previous_segv);
    sigaction(SIGBUS, &action, &g_previous_bus);
  });
}

void ensure_signal_stack() {
  thread_local bool installed = false;
  if (installed) return;
  stack_t current{};
  if (sigaltstack(nullptr, &current) == 0 && !(current.ss_flags & SS_DISABLE) &&
      current.ss_size >= kSignalStackSize) {
    installed = true;  // someone (e.g. a sanitizer) already gave this thread a big enough one
    return;
  }
  // The stack lives as long as the thread; it is small and threads are few.
  void* memory =
      ::mmap(nullptr, kSignalStackSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) return;
  stack_t stack{};
  stack.ss_sp = memory;
  stack.ss_size = kSignalStackSize;
  stack.ss_flags = 0;
  if (sigaltstack(&stack, nullptr) == 0) installed = true;
}

}  // namespace lunatic::engine
