// The SIGSEGV/SIGBUS handler that turns faults of guest code into traps.
//
// It claims a fault only when the current thread is running a guest, the faulting instruction
// is in generated code, and the address is in that guest's guard-mode memory reservation
// (out-of-bounds access) or in its fiber's stack guard (stack exhausted). Every other fault is
// passed on to the previous handler or the default action: a host bug still crashes loudly.
#pragma once

namespace lunatic::engine {

// Installs the handler once per OS process. Thread: any.
void install_trap_handlers();

// Gives the calling thread an alternate signal stack, so a stack-guard fault can be handled.
// Call on every thread that runs guests, before it does. Thread: the calling thread.
void ensure_signal_stack();

}  // namespace lunatic::engine
