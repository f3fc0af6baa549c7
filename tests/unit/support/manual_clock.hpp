// Test support: a clock that moves only when the test moves it, read by a scheduler made with
// its source() (runtime::SchedulerOptions::clock). It starts at the clock's epoch.
// Thread: the test's own thread, which also runs the processes of a DeterministicScheduler.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "runtime/clock_source.hpp"

namespace lunatic::testing {

class ManualClock {
 public:
  runtime::Clock::time_point now() const { return now_; }
  // Time passes: for a process that stands for one that computes for a while.
  void move_by(runtime::Clock::duration by) { now_ += by; }
  // Moves the clock to `when`, or leaves it where it is if it already reads later.
  void move_to(runtime::Clock::time_point when) { now_ = std::max(now_, when); }

  // What the scheduler reads; valid while this clock lives.
  runtime::ClockSource source() const { return {&read, &read_ns, this}; }

 private:
  static runtime::Clock::time_point read(const void* clock) {
    return static_cast<const ManualClock*>(clock)->now_;
  }
  static std::int64_t read_ns(const void* clock) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(read(clock).time_since_epoch())
        .count();
  }

  runtime::Clock::time_point now_{};
};

}  // namespace lunatic::testing
