#include "engine/memory_stash.hpp"

#include <array>

#include "engine/guard_reservation_pool.hpp"
#include "engine/memory_block_pool.hpp"
#include "engine/resident_pages.hpp"

namespace lunatic::engine {
namespace {

class ThreadStash {
 public:
  ThreadStash() = default;
  ThreadStash(const ThreadStash&) = delete;
  ThreadStash& operator=(const ThreadStash&) = delete;
  ~ThreadStash() { flush(); }

  void flush() {
    for (int i = 0; i < count_; ++i) {
      const StashedMemory& memory = entries_[static_cast<std::size_t>(i)];
      if (memory.guard) {
        GuardReservationPool::shared().release({memory.base, memory.committed_bytes});
      } else {
        MemoryBlockPool::shared().release({memory.base, memory.reserved_bytes}, 0);
      }
    }
    count_ = 0;
  }

  std::optional<StashedMemory> take(bool guard, std::uint64_t reserved_bytes,
                                    std::uint64_t committed_bytes) {
    // Newest first: the most recently zeroed lines are the likeliest still in cache.
    for (int i = count_ - 1; i >= 0; --i) {
      const StashedMemory memory = entries_[static_cast<std::size_t>(i)];
      const bool fits = memory.guard == guard && (guard ? memory.committed_bytes == committed_bytes
                                                        : memory.reserved_bytes == reserved_bytes);
      if (!fits) continue;
      for (int j = i; j + 1 < count_; ++j) {
        entries_[static_cast<std::size_t>(j)] = entries_[static_cast<std::size_t>(j + 1)];
      }
      --count_;
      return memory;
    }
    return std::nullopt;
  }

  bool keep(StashedMemory memory, std::uint64_t used_bytes) {
    if (count_ == MemoryStash::kEntries || used_bytes > MemoryStash::kMaxBytes) return false;
    if (!zero_resident_pages(memory.base, used_bytes)) return false;
    entries_[static_cast<std::size_t>(count_++)] = memory;
    return true;
  }

  int size() const { return count_; }

 private:
  std::array<StashedMemory, MemoryStash::kEntries> entries_{};
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

}  // namespace lunatic::engine
