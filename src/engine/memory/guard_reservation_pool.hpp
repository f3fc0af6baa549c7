// Guard-mode memory reservations, recycled instead of unmapped.
//
// A guard-mode memory is 8 GiB + 64 KiB of address space whose first pages are readable and
// writable. Mapping, protecting and unmapping one costs three system calls, the last of which
// flushes TLBs on every core; a process that lives for one request pays all of it. Released
// reservations are therefore kept (at most kMaxPooled of them, kWarmBudgetBytes resident in
// all): their resident pages are zeroed in place and the next memory takes the reservation
// with at most one mprotect, to fit its initial size. A reservation whose memory grew past
// kZeroInPlaceBytes is unmapped instead.
// Thread: safe to call from any thread.
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

namespace lunatic::engine {

class GuardReservationPool {
 public:
  static constexpr std::size_t kMaxPooled = 256;
  static constexpr std::uint64_t kWarmBudgetBytes = std::uint64_t{64} << 20;
  static constexpr std::uint64_t kZeroInPlaceBytes = std::uint64_t{4} << 20;

  struct Reservation {
    std::uint8_t* base = nullptr;       // nullptr: none
    std::uint64_t committed_bytes = 0;  // the readable and writable prefix
  };

  // Linear memories are allocated from generated code, which carries no context.
  static GuardReservationPool& shared();

  // A reservation of kGuardReservationBytes whose first `initial_bytes` (a multiple of the wasm
  // page size) are readable, writable and zero; base == nullptr when the system refuses.
  Reservation acquire(std::uint64_t initial_bytes);
  void release(Reservation reservation);

  std::size_t pooled() const;

 private:
  struct Pooled {
    Reservation reservation;
    std::uint64_t resident_bytes;
  };

  mutable std::mutex mutex_;
  std::vector<Pooled> free_;  // most recent last
  std::uint64_t warm_bytes_ = 0;
};

}  // namespace lunatic::engine
