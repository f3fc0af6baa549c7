#include "engine/execution/trap.hpp"

namespace lunatic::engine {

const char* trap_kind_name(TrapKind kind) {
  switch (kind) {
    case TrapKind::kNone:
      return "no trap";
    case TrapKind::kUnreachable:
      return "unreachable executed";
    case TrapKind::kOutOfBounds:
      return "out of bounds memory access";
    case TrapKind::kIntegerOverflow:
      return "integer overflow";
    case TrapKind::kDivisionByZero:
      return "integer divide by zero";
    case TrapKind::kInvalidConversion:
      return "invalid conversion to integer";
    case TrapKind::kIndirectCallMismatch:
      return "indirect call type mismatch";
    case TrapKind::kStackExhausted:
      return "call stack exhausted";
    case TrapKind::kOutOfFuel:
      return "out of fuel";
    case TrapKind::kHostError:
      return "host call failed";
    case TrapKind::kExit:
      return "exit";
    case TrapKind::kKilled:
      return "killed";
  }
  return "unknown trap";
}

}  // namespace lunatic::engine
