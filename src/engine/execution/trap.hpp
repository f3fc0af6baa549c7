// Traps: why a wasm instance stopped abnormally, and how host code asks for one.
//
// Host functions never longjmp themselves. They throw GuestTrap (or GuestExit for proc_exit);
// the host-function thunk catches it after every host object is destroyed and only then
// unwinds the guest through engine::unwind_guest (see execution.hpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace lunatic::engine {

enum class TrapKind : std::uint8_t {
  kNone = 0,
  kUnreachable,           // `unreachable` executed
  kOutOfBounds,           // linear memory or table access out of bounds
  kIntegerOverflow,       // signed division overflow or float-to-int truncation overflow
  kDivisionByZero,        // integer divide or remainder by zero
  kInvalidConversion,     // NaN converted to an integer
  kIndirectCallMismatch,  // call_indirect to a null entry or a function of another type
  kStackExhausted,        // the fiber's stack guard was hit
  kOutOfFuel,             // the process spent its fuel limit
  kHostError,             // a host function rejected its arguments (bad pointer, bad id, ...)
  kExit,                  // not a trap: proc_exit unwound the guest with an exit code
  kKilled,                // not a trap: the runtime ended the process
  kUpgrade,               // not a trap: the process leaves this code for a new version
};

inline constexpr std::size_t kTrapKinds = static_cast<std::size_t>(TrapKind::kUpgrade) + 1;

// The text for people ("integer divide by zero").
const char* trap_kind_name(TrapKind kind);
// The label for metrics ("division_by_zero"); kNone is "normal", kExit "exit_code" (a nonzero
// exit code), since a process that ends does so by one TrapKind.
const char* trap_kind_label(TrapKind kind);

// Thrown by host code to kill the calling guest with a trap.
struct GuestTrap {
  TrapKind kind;
  std::string message;
};

// Thrown by proc_exit: unwinds the guest and reports the exit code.
struct GuestExit {
  std::uint32_t code;
};

}  // namespace lunatic::engine
