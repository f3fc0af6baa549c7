#include "engine/memory/guard_reservation_pool.hpp"

#include <sys/mman.h>

#include <optional>

#include "common/resident_pages.hpp"
#include "engine/memory/linear_memory.hpp"

namespace lunatic::engine {

GuardReservationPool& GuardReservationPool::shared() {
  // Never destroyed: memories may still be freed while static destructors run.
  static auto* pool = new GuardReservationPool;
  return *pool;
}

GuardReservationPool::Reservation GuardReservationPool::acquire(std::uint64_t initial_bytes) {
  std::optional<Reservation> pooled;
  {
    std::lock_guard lock(mutex_);
    if (!free_.empty()) {
      pooled = free_.back().reservation;
      warm_bytes_ -= free_.back().resident_bytes;
      free_.pop_back();
    }
  }
  if (pooled) {
    Reservation& reused = *pooled;
    bool fits = true;
    if (reused.committed_bytes > initial_bytes) {
      // Zeroed already, but out of reach now; give those pages back as well.
      const std::uint64_t excess = reused.committed_bytes - initial_bytes;
      fits = ::mprotect(reused.base + initial_bytes, excess, PROT_NONE) == 0;
      if (fits) ::madvise(reused.base + initial_bytes, excess, MADV_DONTNEED);
    } else if (reused.committed_bytes < initial_bytes) {
      fits = ::mprotect(reused.base + reused.committed_bytes,
                        initial_bytes - reused.committed_bytes, PROT_READ | PROT_WRITE) == 0;
    }
    if (fits) {
      reused.committed_bytes = initial_bytes;
      return reused;
    }
    ::munmap(reused.base, kGuardReservationBytes);
  }
  void* base = ::mmap(nullptr, kGuardReservationBytes, PROT_NONE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return {};
  if (initial_bytes > 0 && ::mprotect(base, initial_bytes, PROT_READ | PROT_WRITE) != 0) {
    ::munmap(base, kGuardReservationBytes);
    return {};
  }
  return {static_cast<std::uint8_t*>(base), initial_bytes};
}

void GuardReservationPool::release(Reservation reservation) {
  if (reservation.base == nullptr) return;
  bool keep = false;
  if (reservation.committed_bytes <= kZeroInPlaceBytes) {
    std::lock_guard lock(mutex_);
    keep =
        free_.size() < kMaxPooled && warm_bytes_ + reservation.committed_bytes <= kWarmBudgetBytes;
  }
  // Outside the lock: zeroing is the expensive part of a release.
  std::optional<std::uint64_t> resident;
  if (keep) resident = zero_resident_pages(reservation.base, reservation.committed_bytes);
  if (!resident) {
    ::munmap(reservation.base, kGuardReservationBytes);
    return;
  }
  std::lock_guard lock(mutex_);
  warm_bytes_ += *resident;
  free_.push_back({reservation, *resident});
}

std::size_t GuardReservationPool::pooled() const {
  std::lock_guard lock(mutex_);
  return free_.size();
}

}  // namespace lunatic::engine
