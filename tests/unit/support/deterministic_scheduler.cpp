#include "support/deterministic_scheduler.hpp"

#include <chrono>
#include <cstdint>

namespace lunatic::testing {
namespace {

std::int64_t to_ns(runtime::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

DeterministicScheduler::DeterministicScheduler()
    : scheduler_(runtime::SchedulerOptions{.workers = 1, .clock = clock_.source()}) {}

std::size_t DeterministicScheduler::run_until_idle() {
  std::size_t slices = 0;
  while (!scheduler_.stopping() && scheduler_.run_one()) ++slices;
  return slices;
}

void DeterministicScheduler::advance(runtime::Clock::duration by) {
  const runtime::Clock::time_point end = clock_.now() + by;
  run_until_idle();
  // Each pass fires (and so removes) every timer due by then, so the next deadline is later.
  while (!scheduler_.stopping()) {
    const std::int64_t next_ns = scheduler_.timers().next_deadline_ns();
    if (next_ns > to_ns(end)) break;
    clock_.move_to(runtime::Clock::time_point(std::chrono::nanoseconds(next_ns)));
    run_until_idle();
  }
  clock_.move_to(end);
  run_until_idle();
}

}  // namespace lunatic::testing
