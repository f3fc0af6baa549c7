// Address space for bounds-mode linear memories, carved from large shared mappings.
//
// One mapping per memory would cap a process at about 65k memories (vm.max_map_count). Blocks
// come instead in size classes of 2^k wasm pages (64 KiB to 4 GiB). Blocks smaller than
// kRegionBytes are cut from regions of kRegionBytes; every region has the same protection and
// flags, so the kernel merges adjacent ones and a million small memories need few mappings. A
// released small block is recycled and reads as zeros again: while the pool keeps fewer than
// kWarmBudgetBytes resident in released blocks, its resident pages are zeroed in place (no
// system call that flushes TLBs, no page faults for the next owner); beyond that, or for a
// block of over kZeroInPlaceBytes, its pages go back to the OS, with those of other blocks in
// batches that cost one TLB flush each (page_giveback.hpp). Regions are never unmapped. Larger
// blocks are mappings of their own (few memories are that large), unmapped on release. A block
// never grows in place: a memory that outgrows its block moves to one of a larger class, by copying
// its bytes (at most 32 MiB) or, between large blocks, with mremap, which moves page tables rather
// than bytes. Thread: safe to call from any thread.
#pragma once

#include <sys/uio.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <optional>
#include <vector>

namespace lunatic::engine {

class MemoryBlockPool {
 public:
  static constexpr std::uint64_t kRegionBytes = std::uint64_t{64} << 20;
  static constexpr std::uint64_t kWarmBudgetBytes = std::uint64_t{64} << 20;
  static constexpr std::uint64_t kZeroInPlaceBytes = std::uint64_t{4} << 20;
  // Pages waiting to be given back in one batch, at most.
  static constexpr std::uint64_t kReturningBudgetBytes = std::uint64_t{64} << 20;

  struct Block {
    std::uint8_t* base = nullptr;  // nullptr: no memory
    std::uint64_t capacity = 0;    // bytes, a power-of-two number of wasm pages
  };

  // The pool of this OS process: linear memories are allocated from generated code, which
  // carries no context.
  static MemoryBlockPool& shared();

  // The capacity of the block acquire(bytes) returns; 0 when `bytes` exceeds 4 GiB.
  static std::uint64_t capacity_for(std::uint64_t bytes);

  // A zero-filled block of at least `bytes` (at most 4 GiB), or one with base == nullptr when
  // the system refuses address space.
  Block acquire(std::uint64_t bytes);
  // A block of at least `bytes` holding the first `used_bytes` of `block`, which is released;
  // base == nullptr (and `block` left as it was) when the system refuses address space.
  Block grow(Block block, std::uint64_t used_bytes, std::uint64_t bytes);
  // Returns the block, of which only the first `used_bytes` were ever written.
  void release(Block block, std::uint64_t used_bytes);

  // Address space mapped for small blocks so far, in bytes.
  std::uint64_t mapped_bytes() const;
  // Resident bytes held by released blocks waiting for reuse.
  std::uint64_t warm_bytes() const;

 private:
  static constexpr int kClasses = 17;  // 2^0 .. 2^16 pages

  struct Released {
    std::uint8_t* base;
    std::uint64_t resident_bytes;  // zeroed in place, still resident
  };

  // Blocks whose pages are being given back, in batches (page_giveback.hpp); they join their
  // class's free list once the batch is done.
  struct Returning {
    iovec pages;
    int size_class;
  };
  // Takes the pending batch (with the lock held) and gives it back without the lock.
  void give_back(std::unique_lock<std::mutex>& lock);

  struct SizeClass {
    std::vector<Released> free;    // most recent last
    std::uint8_t* next = nullptr;  // next uncarved block of the newest region
    std::uint8_t* end = nullptr;
  };

  mutable std::mutex mutex_;
  std::array<SizeClass, kClasses> classes_;
  std::uint64_t mapped_bytes_ = 0;
  std::uint64_t warm_bytes_ = 0;
  std::vector<Returning> returning_;
  std::uint64_t returning_bytes_ = 0;
};

}  // namespace lunatic::engine
