// The cheapest clock there is, for timing slices: the CPU's cycle counter (x86's invariant TSC,
// Arm's virtual counter), a few ns to read against about 26 for CLOCK_MONOTONIC on the machines
// of docs/benchmarks.md. Its ticks have no fixed length: CycleRate converts them to
// nanoseconds by comparing the counter with the steady clock over a stretch of time.
// Thread: any.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

namespace lunatic::runtime {

inline std::uint64_t read_cycles() {
#if defined(__x86_64__) || defined(__i386__)
  return __rdtsc();
#elif defined(__aarch64__)
  std::uint64_t ticks;
  asm volatile("mrs %0, cntvct_el0" : "=r"(ticks));
  return ticks;
#else
  return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
#endif
}

// Ticks to nanoseconds, measured from when start() was called to each conversion: the longer
// the stretch, the better the estimate (after a second it is off by well under 0.1%).
class CycleRate {
 public:
  void start() {
    start_ns_.store(steady_ns(), std::memory_order_relaxed);
    start_ticks_.store(read_cycles(), std::memory_order_release);
  }
  std::uint64_t to_ns(std::uint64_t ticks) const {
    const std::uint64_t start_ticks = start_ticks_.load(std::memory_order_acquire);
    const std::uint64_t elapsed_ticks = read_cycles() - start_ticks;
    const std::int64_t elapsed_ns = steady_ns() - start_ns_.load(std::memory_order_relaxed);
    if (start_ticks == 0 || elapsed_ticks == 0 || elapsed_ns <= 0) return 0;
    return static_cast<std::uint64_t>(static_cast<double>(ticks) * static_cast<double>(elapsed_ns) /
                                      static_cast<double>(elapsed_ticks));
  }

 private:
  static std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  std::atomic<std::int64_t> start_ns_{0};
  std::atomic<std::uint64_t> start_ticks_{0};
};

}  // namespace lunatic::runtime
