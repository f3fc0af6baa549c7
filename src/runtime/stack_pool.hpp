// Fiber stacks carved out of large shared mappings, recycled instead of unmapped.
//
// A million processes cannot have a mapping (let alone a guard page) each: the kernel allows
// about 65k mappings per process. Stacks are therefore cut from chunks of many stacks, and
// adjacent chunks merge into one mapping. There is no guard page between stacks: generated code
// checks its stack pointer against a limit in every function prologue (see
// docs/architecture.md, "Stacks"), and host calls refuse to start near the end of a stack.
// Only touched pages are resident; a released stack gives its pages back to the OS except the
// top few, which the next fiber touches first anyway.
// Thread: acquire and release may be called from any thread.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace lunatic::runtime {

struct FiberStack {
  void* mapping = nullptr;  // lowest address of the stack's memory (nullptr: none)
  std::size_t mapping_size = 0;
  std::uintptr_t low = 0;   // lowest usable address
  std::uintptr_t high = 0;  // one past the highest usable address (initial stack pointer)
};

class StackPool {
 public:
  static constexpr std::size_t kDefaultUsableSize = 256 * 1024;
  static constexpr std::size_t kDefaultStacksPerChunk = 256;  // 64 MiB chunks by default
  // Kept when a stack gives its pages back: the page the next fiber's entry frames use. A
  // process that spawns, instantiates and parks in receive uses less than this; a deeper one
  // faults its further pages in as it goes. A new stack faults its pages in as it uses them.
  static constexpr std::size_t kKeptTopBytes = 4 * 1024;
  // Released stacks pooled as they are, without a system call: a fiber needs no zeroed stack,
  // and giving pages back costs a TLB flush on every core that runs a worker.
  static constexpr std::size_t kDefaultWarmStacks = 1024;

  // `usable_size` is rounded up to whole OS pages.
  explicit StackPool(std::size_t usable_size = kDefaultUsableSize,
                     std::size_t stacks_per_chunk = kDefaultStacksPerChunk,
                     std::size_t warm_stacks = kDefaultWarmStacks);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  // Returns a stack, or one with mapping == nullptr when the system refuses memory.
  FiberStack acquire();
  // Pools the stack. Beyond `warm_stacks` pooled stacks that kept their pages, a released
  // stack gives its memory (but its top kKeptTopBytes) back to the OS first, in a batch with
  // others (kGiveBackBatch of them, or when acquire finds no other stack to hand out).
  void release(FiberStack stack);
  // Keeps the stack of a fiber that never finished (the runtime stopped with its main process)
  // mapped until the OS takes it: what the process owns is reached from its frames, which
  // LeakSanitizer is told to scan.
  void abandon(const FiberStack& stack);

  std::size_t usable_size() const { return usable_size_; }
  // Bytes of the pool's mappings the kernel holds in memory now (mincore over every chunk):
  // for metrics, read when scraped, at a cost that grows with the stacks ever carved.
  std::uint64_t resident_bytes();

 private:
  // Takes the pending batch (with the lock held) and gives it back without the lock.
  void give_back(std::unique_lock<std::mutex>& lock);

  struct Chunk {
    void* base;
    std::size_t size;
  };

  const std::size_t usable_size_;
  struct Pooled {
    std::uintptr_t low;
    bool warm;  // its pages were not given back
  };

  const std::size_t stacks_per_chunk_;
  const std::size_t warm_limit_;
  std::mutex mutex_;
  std::vector<Chunk> chunks_;
  std::vector<Pooled> free_;  // most recently released last
  // Stacks whose pages are being given back, in batches (common/page_giveback.hpp): each
  // range is a stack's pages but its top kKeptTopBytes.
  std::vector<iovec> returning_;
  std::size_t warm_ = 0;  // entries of free_ with warm set
  bool any_abandoned_ = false;
  std::uintptr_t next_ = 0;  // next uncarved stack in the newest chunk
  std::uintptr_t chunk_end_ = 0;
};

}  // namespace lunatic::runtime
