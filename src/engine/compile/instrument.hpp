// Preemption instrumentation, applied to the IR before C is generated.
//
// A mutable i32 global, the budget, is decremented at every loop header and at the entry of
// every function that sits on a call-graph cycle (direct recursion, mutual recursion, or a
// cycle through call_indirect). When it goes negative, the check calls the host's yield hook,
// which accounts fuel, may switch to another process, and refills the budget. Straight-line
// code needs no check: without a loop or a cycle it cannot run for long.
//
// As a side effect every function, global, memory, table and segment is renamed to a
// predictable name ($f<index>, $g<index>, ...) so the C generator can refer to them; the
// original function names are returned for trap reports.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace wabt {
struct Module;
}

namespace lunatic::engine {

inline constexpr const char* kYieldHookModule = "lunatic_engine";
inline constexpr const char* kYieldHookName = "yield";

struct InstrumentedModule {
  std::vector<std::string>
      function_names;  // by final function index: name-section name, or f<original index>
  std::uint32_t budget_global_index = 0;  // index of the budget global
  std::uint32_t yield_import_index = 0;   // function index of the hook import
  std::uint32_t checked_functions = 0;    // functions with an entry check
  std::uint32_t checked_loops = 0;        // loop headers with a check
};

// Rewrites `module` in place. Returns the names and counts, or an error if the rewritten
// module fails validation (which would be an engine bug, reported rather than compiled).
Expected<InstrumentedModule> instrument_for_preemption(wabt::Module& module);

}  // namespace lunatic::engine
