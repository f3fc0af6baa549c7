#include "wasi/clock_service.hpp"

#include <sys/random.h>
#include <time.h>

#include <cerrno>

#include "wasi/errno_map.hpp"
#include "wasi/timespec.hpp"

namespace lunatic::wasi {

namespace {

// Returns: the host clock for a WASI clock id, or -1.
clockid_t host_clock(std::uint32_t clock_id) {
  switch (clock_id) {
    case static_cast<std::uint32_t>(ClockId::kRealtime):
      return CLOCK_REALTIME;
    case static_cast<std::uint32_t>(ClockId::kMonotonic):
      return CLOCK_MONOTONIC;
    case static_cast<std::uint32_t>(ClockId::kProcessCputime):
      return CLOCK_PROCESS_CPUTIME_ID;
    case static_cast<std::uint32_t>(ClockId::kThreadCputime):
      return CLOCK_THREAD_CPUTIME_ID;
    default:
      return -1;
  }
}

}  // namespace

Result<std::uint64_t> clock_res_get(std::uint32_t clock_id) {
  clockid_t clock = host_clock(clock_id);
  if (clock == -1) return Errno::kInval;
  struct timespec ts {};
  if (::clock_getres(clock, &ts) != 0) return errno_from_host(errno);
  return to_nanoseconds(ts);
}

Result<std::uint64_t> clock_time_get(std::uint32_t clock_id, std::uint64_t /*precision*/) {
  clockid_t clock = host_clock(clock_id);
  if (clock == -1) return Errno::kInval;
  struct timespec ts {};
  if (::clock_gettime(clock, &ts) != 0) return errno_from_host(errno);
  return to_nanoseconds(ts);
}

Errno random_get(std::span<std::uint8_t> out) {
  std::size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::getrandom(out.data() + done, out.size() - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno::kIo;
    }
    done += static_cast<std::size_t>(n);
  }
  return Errno::kSuccess;
}

}  // namespace lunatic::wasi
