// How host code waits without blocking a worker thread.
//
// The process running the host call implements this: each method suspends the calling fiber
// and lets the scheduler run others until the condition holds. Thread: only the thread that is
// running the calling process, from inside one of its host calls.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "runtime/io_source.hpp"

namespace lunatic::runtime {

using Clock = std::chrono::steady_clock;

// A time point as nanoseconds since the clock's epoch, to keep in an atomic or subtract.
inline std::int64_t to_ns(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

struct FdInterest {
  int fd = -1;
  bool read = false;
  bool write = false;
};

struct FdReadiness {
  bool readable = false;
  bool writable = false;
  bool hangup = false;  // peer closed, or error: a read returns 0 or fails at once
};

class Blocking {
 public:
  virtual ~Blocking() = default;

  // Suspends until the deadline has passed.
  virtual void sleep_until(Clock::time_point deadline) = 0;

  // Lets every other runnable process run once before this one continues.
  virtual void yield_now() = 0;

  // Called by the preemption hook: yields if this process has used up its time slice and
  // another process is waiting to run.
  virtual void preempt_point() = 0;

  // Suspends until at least one of the descriptors is ready as asked, or the deadline passes.
  // Fills `ready` (same length as `interests`) and returns true if any is ready, false on
  // timeout. Descriptors that cannot be polled (regular files) are reported ready at once.
  virtual bool wait_fds(std::span<const FdInterest> interests, std::span<FdReadiness> ready,
                        std::optional<Clock::time_point> deadline) = 0;

  // Suspends until `source` becomes ready in `direction` after `seen` (its readiness count read
  // before the operation that would have blocked), or the deadline passes. Returns false only
  // when the deadline has passed; true means "try again" (a wake-up may be spurious).
  virtual bool wait_io(IoSource& source, IoDirection direction, std::uint64_t seen,
                       std::optional<Clock::time_point> deadline) = 0;
};

// Host calls that move this many bytes or more (copies into or out of guest memory, file and
// stream transfers) count against the calling process's time slice.
inline constexpr std::size_t kSliceChargeBytes = 64 * 1024;

// Lets others run when a host call that moved `bytes` used up the caller's time slice: a guest
// looping on big copies is preempted like one looping on its own. A pending kill ends the call
// here (GuestTrap). Nothing happens for small transfers, or without a scheduler.
inline void charge_transfer(Blocking* blocking, std::size_t bytes) {
  if (bytes >= kSliceChargeBytes && blocking != nullptr) blocking->preempt_point();
}

}  // namespace lunatic::runtime
