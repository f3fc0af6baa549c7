// Clocks and randomness for wasi_snapshot_preview1.
//
// REALTIME and MONOTONIC are the host's CLOCK_REALTIME and CLOCK_MONOTONIC (the clock behind
// runtime::Clock, so poll_oneoff deadlines agree with clock_time_get). PROCESS_CPUTIME and
// THREAD_CPUTIME are the host's: the runtime process's CPU time and the current worker
// thread's, not the guest process's own (guests share threads, and a guest may move between
// them). Thread: any.
#pragma once

#include <cstdint>
#include <span>

#include "wasi/wasi_types.hpp"

namespace lunatic::wasi {

// Returns: the resolution of `clock_id` in nanoseconds; EINVAL for an unknown clock.
Result<std::uint64_t> clock_res_get(std::uint32_t clock_id);

// Returns: the time of `clock_id` in nanoseconds (precision is a hint and is ignored); EINVAL
// for an unknown clock.
Result<std::uint64_t> clock_time_get(std::uint32_t clock_id, std::uint64_t precision);

// Fills `out` from the kernel's CSPRNG (getrandom), however long it is.
// Returns: success, or EIO if the kernel refuses.
Errno random_get(std::span<std::uint8_t> out);

}  // namespace lunatic::wasi
