// Address ranges of loaded generated code, readable from a signal handler.
//
// The signal handler claims a fault only when the faulting instruction is in generated code;
// anything else is a host bug and must crash loudly.
#pragma once

#include <cstdint>

namespace lunatic::engine {

// Thread: any. Returns false when the registry is full (the module then cannot be loaded).
bool register_code_range(std::uintptr_t begin, std::uintptr_t end);
void unregister_code_range(std::uintptr_t begin);

// Thread: any, async-signal-safe.
bool is_generated_code(std::uintptr_t pc);

}  // namespace lunatic::engine
