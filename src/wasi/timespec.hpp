// WASI's timestamps (nanoseconds since the clock's epoch, u64) to and from struct timespec.
#pragma once

#include <time.h>

#include <cstdint>

namespace lunatic::wasi {

inline std::uint64_t to_nanoseconds(const struct timespec& ts) {
  return static_cast<std::uint64_t>(ts.tv_sec) * 1'000'000'000ull +
         static_cast<std::uint64_t>(ts.tv_nsec);
}

inline struct timespec from_nanoseconds(std::uint64_t ns) {
  struct timespec ts {};
  ts.tv_sec = static_cast<time_t>(ns / 1'000'000'000ull);
  ts.tv_nsec = static_cast<long>(ns % 1'000'000'000ull);
  return ts;
}

}  // namespace lunatic::wasi
