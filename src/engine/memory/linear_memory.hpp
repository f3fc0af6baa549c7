// Linear memories for generated code, in one of two modes.
//
// Guard mode reserves 8 GiB + 64 KiB of address space per memory and commits pages as the
// memory grows; generated code does no bounds checks, because any address a wasm32 access can
// form lands inside the reservation and faults there (the signal handler turns that into a
// trap). Bounds mode takes a block from a pool shared by all memories (memory_block_pool.hpp)
// and moves to a larger block when it grows past it; generated code checks every access. Guard
// mode is faster; bounds mode has no address-space or mapping-count ceiling (see
// docs/architecture.md, "Memory modes").
#pragma once

#include <cstdint>

extern "C" {
#include "engine/codegen/wasm-rt.h"
}

namespace lunatic::engine {

inline constexpr std::uint64_t kWasmPageSize = 65536;
inline constexpr std::uint64_t kMaxWasmPages = 65536;  // 4 GiB
inline constexpr std::uint64_t kGuardReservationBytes = (std::uint64_t{8} << 30) + kWasmPageSize;

// Entry points bound into every artifact (through lunatic_rt_api). They read the mode and the
// limit from the current ExecutionState, and trap the guest when allocation fails.
void allocate_linear_memory(wasm_rt_memory_t* memory, std::uint32_t initial_pages,
                            std::uint32_t max_pages);
std::uint32_t grow_linear_memory(wasm_rt_memory_t* memory, std::uint32_t delta_pages);
void free_linear_memory(wasm_rt_memory_t* memory);

// Number of guard-mode reservations alive in this OS process.
std::uint64_t live_guard_reservations();
// Bytes readable and writable in every linear memory alive in this OS process (their current
// sizes): what guests may have touched, an upper bound of what they hold resident.
std::uint64_t linear_memory_committed_bytes();

}  // namespace lunatic::engine
