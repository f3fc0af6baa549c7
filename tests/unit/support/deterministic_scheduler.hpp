// Test support: the scheduler as actor tests drive it, like CAF's deterministic test fixture.
// There is one worker, the test's own thread, and no worker threads: processes run only inside
// run_one, run_until_idle and advance, one slice at a time in the scheduler's own order. The
// clock moves only when the test advances it, so timeouts fire exactly when the test says and
// a test asserts what happened at each step instead of sleeping and hoping.
// Thread: the test's own thread only.
#pragma once

#include <cstddef>

#include "runtime/scheduler.hpp"
#include "support/manual_clock.hpp"

namespace lunatic::testing {

class DeterministicScheduler {
 public:
  DeterministicScheduler();

  runtime::Scheduler& scheduler() { return scheduler_; }
  ManualClock& clock() { return clock_; }
  runtime::Clock::time_point now() const { return clock_.now(); }

  // Runs one slice of the next runnable process; when none is, fires due timers and ready
  // descriptors first. False when nothing could run.
  bool run_one() { return scheduler_.run_one(); }
  // Runs slices until no process can run, or stop() was called. Returns how many ran.
  std::size_t run_until_idle();
  // Moves the clock forward by `by`, stopping at each deadline on the way: while the clock
  // reads a deadline, its timers fire and what they woke runs until idle, as it would have in
  // real time. Ends idle, with the clock `by` later (or later still, if a process moved it).
  void advance(runtime::Clock::duration by);

 private:
  ManualClock clock_;  // first: the scheduler reads it until it is gone
  runtime::Scheduler scheduler_;
};

}  // namespace lunatic::testing
