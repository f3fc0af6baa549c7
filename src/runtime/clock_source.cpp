#include "runtime/clock_source.hpp"

#include <atomic>
#include <ctime>

namespace lunatic::runtime {
namespace {

std::int64_t coarse_ns() {
  timespec coarse{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &coarse);
  return coarse.tv_sec * 1'000'000'000 + coarse.tv_nsec;
}

// How far CLOCK_MONOTONIC_COARSE (same origin as steady_clock) may lag the precise clock: the
// largest lag seen, never less than the coarse clock's resolution. On virtual machines the
// coarse clock, advanced by the timer tick, falls behind by more than one tick when ticks come
// late (4 ms resolution, 7.5 ms lag measured on this project's machines), and a bound of one
// resolution let due timers wait for the tick: a 1 ms sleep beside busy workers woke 3 ms late.
std::atomic<std::int64_t>& coarse_lag_ns() {
  static std::atomic<std::int64_t> lag = [] {
    timespec resolution{};
    ::clock_getres(CLOCK_MONOTONIC_COARSE, &resolution);
    return resolution.tv_sec * 1'000'000'000 + resolution.tv_nsec;
  }();
  return lag;
}

Clock::time_point steady_now(const void*) {
  const Clock::time_point now = Clock::now();
  // Every precise reading measures the coarse clock's lag too (a few ns): the bound learns it.
  const std::int64_t lag = to_ns(now) - coarse_ns();
  std::atomic<std::int64_t>& bound = coarse_lag_ns();
  if (lag > bound.load(std::memory_order_relaxed)) bound.store(lag, std::memory_order_relaxed);
  return now;
}

std::int64_t steady_not_earlier_than_now_ns(const void*) {
  return coarse_ns() + coarse_lag_ns().load(std::memory_order_relaxed);
}

}  // namespace

ClockSource ClockSource::steady() {
  return {&steady_now, &steady_not_earlier_than_now_ns, nullptr};
}

}  // namespace lunatic::runtime
