// Each thread's few most recently freed linear memories, zeroed and kept for the next memory of
// the same kind and size that thread allocates.
//
// The shared pools (memory_block_pool.hpp, guard_reservation_pool.hpp) take a lock that every
// worker takes on every spawn and exit; under skynet's million short lives the two workers met
// on it often enough that lock and unlock were 18% of the run. A worker usually spawns right
// after a process exits on it, so it can take the memory back from its own stash without a
// shared lock, and the zeroed lines are still in its core's cache. The stash is small and holds
// only small memories, so the resident memory it keeps is bounded (kEntries * kMaxBytes).
// Thread: the functions work on the calling thread's stash; a thread's stash goes back to the
// shared pools when the thread ends.
#pragma once

#include <cstdint>
#include <optional>

namespace lunatic::engine {

struct StashedMemory {
  std::uint8_t* base = nullptr;
  std::uint64_t reserved_bytes = 0;   // a bounds-mode block's capacity; guard mode: the reservation
  std::uint64_t committed_bytes = 0;  // guard mode: the readable and writable prefix
  bool guard = false;
};

class MemoryStash {
 public:
  static constexpr int kEntries = 8;
  static constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 20;

  // A memory of this kind that reads as zeros: a guard reservation whose committed prefix is
  // exactly `committed_bytes`, or a block of exactly `reserved_bytes`; nullopt when none.
  static std::optional<StashedMemory> take(bool guard, std::uint64_t reserved_bytes,
                                           std::uint64_t committed_bytes);
  // Zeroes the first `used_bytes` of `memory` (all its guest could write) and keeps it. False
  // when it is too large, the stash is full or the kernel cannot tell which pages to zero: the
  // caller gives it to the shared pool.
  static bool keep(StashedMemory memory, std::uint64_t used_bytes);
  // Gives every memory in the calling thread's stash to the shared pools.
  static void flush();
  // Memories in the calling thread's stash.
  static int size();
};

}  // namespace lunatic::engine
