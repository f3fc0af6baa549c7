#include "engine/memory/memory_stash.hpp"

#include <algorithm>
#include <array>
#include <span>

#include "common/resident_pages.hpp"
#include "engine/memory/guard_reservation_pool.hpp"
#include "engine/memory/memory_block_pool.hpp"

namespace lunatic::engine {
namespace {

class ThreadStash {
 public:
  ThreadStash() = default;
  ThreadStash(const ThreadStash&) = delete;
  ThreadStash& operator=(const ThreadStash&) = delete;
  ~ThreadStash() { flush(); }

  void flush() {
    for (int i = 0; i < count_; ++i) release(entries_[static_cast<std::size_t>(i)]);
    count_ = 0;
  }

  std::optional<StashedMemory> take(bool guard, std::uint64_t reserved_bytes,
                                    std::uint64_t committed_bytes) {
    if (auto memory = take_zeroed(guard, reserved_bytes, committed_bytes)) return memory;
    if (dirty() < MemoryStash::kZeroBatch) return std::nullopt;
    zero_dirty();
    return take_zeroed(guard, reserved_bytes, committed_bytes);
  }

  bool keep(StashedMemory memory, std::uint64_t used_bytes) {
    if (count_ == MemoryStash::kEntries || used_bytes > MemoryStash::kMaxBytes) return false;
    entries_[static_cast<std::size_t>(count_++)] = {memory, used_bytes};
    return true;
  }

  int size() const { return count_; }
  int dirty() const {
    return static_cast<int>(
        std::count_if(entries_.begin(), entries_.begin() + count_,
                      [](const Entry& entry) { return entry.dirty_bytes > 0; }));
  }

 private:
  struct Entry {
    StashedMemory memory;
    std::uint64_t dirty_bytes = 0;  // the prefix its guest could have written; 0: reads as zeros
  };

  static void release(const Entry& entry) {
    const StashedMemory& memory = entry.memory;
    // The shared pools zero what they are given back (the guard pool all of its prefix).
    if (memory.guard) {
      GuardReservationPool::shared().release({memory.base, memory.committed_bytes});
    } else {
      MemoryBlockPool::shared().release({memory.base, memory.reserved_bytes}, entry.dirty_bytes);
    }
  }

  std::optional<StashedMemory> take_zeroed(bool guard, std::uint64_t reserved_bytes,
                                           std::uint64_t committed_bytes) {
    // Newest first: the most recently zeroed lines are the likeliest still in cache.
    for (int i = count_ - 1; i >= 0; --i) {
      const Entry entry = entries_[static_cast<std::size_t>(i)];
      const StashedMemory& memory = entry.memory;
      const bool fits = memory.guard == guard && (guard ? memory.committed_bytes == committed_bytes
                                                        : memory.reserved_bytes == reserved_bytes);
      if (!fits || entry.dirty_bytes > 0) continue;
      remove(i);
      return memory;
    }
    return std::nullopt;
  }

  // Zeroes every dirty memory with one query of the kernel for all (they were cut from the same
  // regions, so they lie close together); if the kernel cannot tell, they go to the shared pools.
  void zero_dirty() {
    std::array<iovec, MemoryStash::kEntries> ranges;
    std::size_t dirty = 0;
    for (int i = 0; i < count_; ++i) {
      const Entry& entry = entries_[static_cast<std::size_t>(i)];
      if (entry.dirty_bytes > 0) ranges[dirty++] = {entry.memory.base, entry.dirty_bytes};
    }
    std::sort(ranges.begin(), ranges.begin() + static_cast<std::ptrdiff_t>(dirty),
              [](const iovec& a, const iovec& b) { return a.iov_base < b.iov_base; });
    const bool zeroed =
        zero_resident_pages(std::span<const iovec>(ranges.data(), dirty)).has_value();
    for (int i = count_ - 1; i >= 0; --i) {
      Entry& entry = entries_[static_cast<std::size_t>(i)];
      if (entry.dirty_bytes == 0) continue;
      if (zeroed) {
        entry.dirty_bytes = 0;
      } else {
        release(entry);
        remove(i);
      }
    }
  }

  void remove(int i) {
    for (int j = i; j + 1 < count_; ++j) {
      entries_[static_cast<std::size_t>(j)] = entries_[static_cast<std::size_t>(j + 1)];
    }
    --count_;
  }

  std::array<Entry, MemoryStash::kEntries> entries_{};
  int count_ = 0;
};

ThreadStash& this_thread_stash() {
  thread_local ThreadStash stash;
  return stash;
}

}  // namespace

std::optional<StashedMemory> MemoryStash::take(bool guard, std::uint64_t reserved_bytes,
                                               std::uint64_t committed_bytes) {
  return this_thread_stash().take(guard, reserved_bytes, committed_bytes);
}

bool MemoryStash::keep(StashedMemory memory, std::uint64_t used_bytes) {
  return this_thread_stash().keep(memory, used_bytes);
}

void MemoryStash::flush() { this_thread_stash().flush(); }

int MemoryStash::size() { return this_thread_stash().size(); }

int MemoryStash::dirty() { return this_thread_stash().dirty(); }

}  // namespace lunatic::engine
