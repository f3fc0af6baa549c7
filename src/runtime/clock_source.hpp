// Where the scheduler and its processes read the time: the steady clock in production, or a
// clock that a unit test moves by hand (tests/unit/support/deterministic_scheduler.hpp).
//
// Chosen when the scheduler is made and read through plain function pointers, only where the
// time is read: no virtual call, and nothing on the paths that do not read it.
// Thread: any, as far as what `state` points to allows (the steady clock has no state).
#pragma once

#include <cstdint>

#include "runtime/blocking.hpp"

namespace lunatic::runtime {

struct ClockSource {
  // The time now.
  Clock::time_point (*now)(const void* state);
  // A cheap reading, in nanoseconds of the clock's epoch, that is not earlier than now(): a
  // deadline after it has not passed. It lets a worker that runs slices back to back while a
  // far timer is pending skip the precise read. (For the steady clock: unless the coarse clock
  // lags by more than it ever did before, which the next precise reading learns.)
  std::int64_t (*not_earlier_than_now_ns)(const void* state);
  const void* state = nullptr;

  // std::chrono::steady_clock (CLOCK_MONOTONIC), with CLOCK_MONOTONIC_COARSE for the cheap
  // reading (a few ns, against about 26 for the precise clock on the virtual machines of
  // docs/benchmarks.md).
  static ClockSource steady();
};

}  // namespace lunatic::runtime
