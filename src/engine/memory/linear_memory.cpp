#include "engine/memory/linear_memory.hpp"

#include <sys/mman.h>

#include <atomic>

#include "engine/execution/execution.hpp"
#include "engine/memory/guard_reservation_pool.hpp"
#include "engine/memory/memory_block_pool.hpp"
#include "engine/memory/memory_stash.hpp"

namespace lunatic::engine {
namespace {

std::atomic<std::uint64_t> g_live_guard_reservations{0};
std::atomic<std::uint64_t> g_committed_bytes{0};  // of every live memory, for metrics

struct Reservation {
  std::uint8_t* base = nullptr;
  std::uint64_t reserved_bytes = 0;   // address space: the guard reservation or the pooled block
  std::uint64_t committed_bytes = 0;  // readable and writable prefix, charged to `budget`
  bool guard = false;
  std::uint64_t limit_bytes = 0;
  ResourceBudget* budget = nullptr;
};

// Grows of this much or more end with a checkpoint (checkpoint_long_operation).
constexpr std::uint64_t kCheckpointAfterBytes = std::uint64_t{16} << 20;

[[noreturn]] void fail_allocation(const char* why) {
  record_unwind(TrapKind::kHostError, why);
  unwind_guest();
}

}  // namespace

std::uint64_t live_guard_reservations() { return g_live_guard_reservations.load(); }

std::uint64_t linear_memory_committed_bytes() {
  return g_committed_bytes.load(std::memory_order_relaxed);
}

void allocate_linear_memory(wasm_rt_memory_t* memory, std::uint32_t initial_pages,
                            std::uint32_t max_pages) {
  ExecutionState* state = current_execution();
  const bool guard = state != nullptr && state->guard_memory;
  const std::uint64_t limit =
      state != nullptr ? state->memory_limit_bytes : kMaxWasmPages * kWasmPageSize;
  const std::uint64_t initial_bytes = std::uint64_t{initial_pages} * kWasmPageSize;
  if (initial_bytes > limit)
    fail_allocation("memory: the module's initial memory exceeds the limit");
  if (!charge_guest_memory(state, initial_bytes)) {
    fail_allocation("memory: the initial memory would pass the guest memory limit");
  }
  ResourceBudget* budget = state != nullptr ? state->budget : nullptr;
  // Gives the charge back on every failure below (none of them returns).
  auto refuse = [&](const char* why) {
    if (budget != nullptr) budget->release_memory(initial_bytes);
    fail_allocation(why);
  };

  auto* reservation = new (std::nothrow) Reservation;
  if (reservation == nullptr) refuse("memory: out of host memory");
  reservation->guard = guard;
  reservation->limit_bytes = limit;
  const std::uint64_t block_capacity = guard ? 0 : MemoryBlockPool::capacity_for(initial_bytes);
  if (auto stashed = MemoryStash::take(guard, block_capacity, initial_bytes)) {
    reservation->base = stashed->base;
    reservation->reserved_bytes = stashed->reserved_bytes;
  } else if (guard) {
    const GuardReservationPool::Reservation taken =
        GuardReservationPool::shared().acquire(initial_bytes);
    if (taken.base == nullptr) {
      delete reservation;
      refuse("memory: cannot reserve address space for a guard-mode memory");
    }
    reservation->base = taken.base;
    reservation->reserved_bytes = kGuardReservationBytes;
  } else {
    const MemoryBlockPool::Block block = MemoryBlockPool::shared().acquire(initial_bytes);
    if (block.base == nullptr) {
      delete reservation;
      refuse("memory: cannot map the initial memory");
    }
    reservation->base = block.base;
    reservation->reserved_bytes = block.capacity;
  }
  if (guard) g_live_guard_reservations.fetch_add(1, std::memory_order_relaxed);
  reservation->committed_bytes = initial_bytes;
  g_committed_bytes.fetch_add(initial_bytes, std::memory_order_relaxed);
  reservation->budget = budget;
  // From here a fault in the reservation is this guest's out-of-bounds access, even in its start
  // function (Instance::enter binds the memory of an instance that already has one).
  if (guard && state != nullptr) {
    state->memory_low = reinterpret_cast<std::uintptr_t>(reservation->base);
    state->memory_high = state->memory_low + reservation->reserved_bytes;
  }
  memory->data = reservation->base;
  memory->pages = initial_pages;
  memory->max_pages = max_pages;
  memory->size = initial_bytes;
  memory->reservation = reservation;
}

std::uint32_t grow_linear_memory(wasm_rt_memory_t* memory, std::uint32_t delta_pages) {
  auto* reservation = static_cast<Reservation*>(memory->reservation);
  const std::uint64_t old_pages = memory->pages;
  const std::uint64_t new_pages = old_pages + delta_pages;
  if (new_pages > memory->max_pages || new_pages > kMaxWasmPages) return UINT32_MAX;
  const std::uint64_t new_bytes = new_pages * kWasmPageSize;
  if (new_bytes > reservation->limit_bytes) return UINT32_MAX;
  if (delta_pages == 0) return static_cast<std::uint32_t>(old_pages);
  const std::uint64_t added = new_bytes - reservation->committed_bytes;
  if (reservation->budget != nullptr && !charge_guest_memory(current_execution(), added)) {
    return UINT32_MAX;
  }
  bool moved = false;
  // Gives the charge back when the memory cannot grow after all.
  auto refuse = [&] {
    if (reservation->budget != nullptr) reservation->budget->release_memory(added);
    return UINT32_MAX;
  };
  if (reservation->guard) {
    if (::mprotect(reservation->base + reservation->committed_bytes, added,
                   PROT_READ | PROT_WRITE) != 0) {
      return refuse();
    }
  } else if (new_bytes > reservation->reserved_bytes) {
    moved = true;
    // The block is full: move to one of a larger class (blocks double, so moves are rare).
    const MemoryBlockPool::Block bigger = MemoryBlockPool::shared().grow(
        {reservation->base, reservation->reserved_bytes}, reservation->committed_bytes, new_bytes);
    if (bigger.base == nullptr) return refuse();
    reservation->base = bigger.base;
    reservation->reserved_bytes = bigger.capacity;
  }
  reservation->committed_bytes = new_bytes;
  g_committed_bytes.fetch_add(added, std::memory_order_relaxed);
  memory->data = reservation->base;
  memory->pages = static_cast<std::uint32_t>(new_pages);
  memory->size = new_bytes;
  // A large grow (moving a bounds-mode block copies the whole memory) is time the guest spent:
  // others may run, and a kill lands, before it goes on.
  if (moved || added >= kCheckpointAfterBytes) checkpoint_long_operation();
  return static_cast<std::uint32_t>(old_pages);
}

void free_linear_memory(wasm_rt_memory_t* memory) {
  auto* reservation = static_cast<Reservation*>(memory->reservation);
  if (reservation == nullptr) return;
  const StashedMemory stashed{reservation->base, reservation->reserved_bytes,
                              reservation->committed_bytes, reservation->guard};
  if (reservation->guard) {
    g_live_guard_reservations.fetch_sub(1, std::memory_order_relaxed);
    if (!MemoryStash::keep(stashed, reservation->committed_bytes)) {
      GuardReservationPool::shared().release({reservation->base, reservation->committed_bytes});
    }
  } else if (!MemoryStash::keep(stashed, reservation->committed_bytes)) {
    MemoryBlockPool::shared().release({reservation->base, reservation->reserved_bytes},
                                      reservation->committed_bytes);
  }
  g_committed_bytes.fetch_sub(reservation->committed_bytes, std::memory_order_relaxed);
  if (reservation->budget != nullptr)
    reservation->budget->release_memory(reservation->committed_bytes);
  delete reservation;
  memory->reservation = nullptr;
  memory->data = nullptr;
  memory->size = 0;
  memory->pages = 0;
}

}  // namespace lunatic::engine
