// The table of host services that every artifact is bound to (lunatic_rt_api_t).
#pragma once

extern "C" {
#include "engine/codegen/wasm-rt.h"
}

#include "engine/execution/trap.hpp"

namespace lunatic::engine {

const lunatic_rt_api_t* wasm_rt_api();

TrapKind trap_kind_from_wasm_rt(wasm_rt_trap_t reason);

}  // namespace lunatic::engine
