#include "runtime/clock_source.hpp"

#include <ctime>

namespace lunatic::runtime {
namespace {

Clock::time_point steady_now(const void*) { return Clock::now(); }

std::int64_t steady_not_earlier_than_now_ns(const void*) {
  // CLOCK_MONOTONIC_COARSE counts from the same origin as steady_clock (CLOCK_MONOTONIC) and
  // lags it by less than its resolution, so coarse + resolution is not earlier than now.
  static const std::int64_t resolution_ns = [] {
    timespec resolution{};
    ::clock_getres(CLOCK_MONOTONIC_COARSE, &resolution);
    return resolution.tv_sec * 1'000'000'000 + resolution.tv_nsec;
  }();
  timespec coarse{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &coarse);
  return coarse.tv_sec * 1'000'000'000 + coarse.tv_nsec + resolution_ns;
}

}  // namespace

ClockSource ClockSource::steady() {
  return {&steady_now, &steady_not_earlier_than_now_ns, nullptr};
}

}  // namespace lunatic::runtime
