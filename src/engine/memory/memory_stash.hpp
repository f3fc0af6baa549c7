// Each thread's few most recently freed linear memories, kept for the next memory of the same
// kind and size that thread allocates, and zeroed in batches.
//
// The shared pools (memory_block_pool.hpp, guard_reservation_pool.hpp) take a lock that every
// worker takes on every spawn and exit; under skynet's million short lives the two workers met
// on it often enough that lock and unlock were 18% of the run. A worker usually spawns right
// after a process exits on it, so it can take the memory back from its own stash without a
// shared lock. A freed memory must read as zeros before anyone gets it, and asking the kernel
// which of its pages hold data is a system call that cost about 1 us here, a third of a whole
// instance-per-request cycle; one query covers many memories that lie close together for about
// the same price. So freed memories wait in the stash, dirty and never handed out, until
// kZeroBatch of them are, and are zeroed together. The stash is small and holds only small
// memories, so the resident memory it keeps is bounded (kEntries * kMaxBytes).
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
  static constexpr int kEntries = 16;
  // Dirty memories zeroed together, once a request finds no zeroed memory that fits.
  static constexpr int kZeroBatch = 8;
  static constexpr std::uint64_t kMaxBytes = std::uint64_t{1} << 20;

  // A memory of this kind that reads as zeros: a guard reservation whose committed prefix is
  // exactly `committed_bytes`, or a block of exactly `reserved_bytes`; nullopt when none. When
  // no zeroed one fits and kZeroBatch are dirty, the dirty ones are zeroed first.
  static std::optional<StashedMemory> take(bool guard, std::uint64_t reserved_bytes,
                                           std::uint64_t committed_bytes);
  // Keeps `memory`, of which the first `used_bytes` (all its guest could write) are to be zeroed
  // before it is handed out again. False when it is too large or the stash is full: the caller
  // gives it to the shared pool.
  static bool keep(StashedMemory memory, std::uint64_t used_bytes);
  // Gives every memory in the calling thread's stash to the shared pools.
  static void flush();
  // Memories in the calling thread's stash, and those of them not zeroed yet.
  static int size();
  static int dirty();
};

}  // namespace lunatic::engine
