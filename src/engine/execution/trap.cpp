#include "engine/execution/trap.hpp"

#include <array>
#include <cstddef>

namespace lunatic::engine {
namespace {

// One row per TrapKind, in its order: the text people read, and the label metrics use.
struct TrapKindNames {
  const char* text;
  const char* label;
};

constexpr std::array<TrapKindNames, kTrapKinds> kTrapKindNames = {{
    {"no trap", "normal"},
    {"unreachable executed", "unreachable"},
    {"out of bounds memory access", "out_of_bounds"},
    {"integer overflow", "integer_overflow"},
    {"integer divide by zero", "division_by_zero"},
    {"invalid conversion to integer", "invalid_conversion"},
    {"indirect call type mismatch", "indirect_call_mismatch"},
    {"call stack exhausted", "stack_exhausted"},
    {"out of fuel", "out_of_fuel"},
    {"host call failed", "host_error"},
    {"exit", "exit_code"},
    {"killed", "killed"},
    {"moved to new code", "upgraded"},
}};

const TrapKindNames* names_of(TrapKind kind) {
  const auto index = static_cast<std::size_t>(kind);
  return index < kTrapKindNames.size() ? &kTrapKindNames[index] : nullptr;
}

}  // namespace

const char* trap_kind_name(TrapKind kind) {
  const TrapKindNames* names = names_of(kind);
  return names != nullptr ? names->text : "unknown trap";
}

const char* trap_kind_label(TrapKind kind) {
  const TrapKindNames* names = names_of(kind);
  return names != nullptr ? names->label : "unknown";
}

}  // namespace lunatic::engine
