// IR to C: libwabt's C writer for the module, plus a small shim that gives the host one fixed
// ABI for every module (instance size, instantiate, free, memory, budget, exports, imports).
#pragma once

#include <string>

#include "common/error.hpp"
#include "engine/compile/instrument.hpp"

namespace wabt {
struct Module;
}

namespace lunatic::engine {

struct GeneratedC {
  std::string module_c;  // written as module.c
  std::string module_h;  // written as module.h
  std::string shim_c;    // the translation unit to compile: includes module.c
};

// Returns: the three sources, or kUnsupportedFeature when the C writer rejects the module.
Expected<GeneratedC> generate_c(const wabt::Module& module, const InstrumentedModule& instrumented);

}  // namespace lunatic::engine
