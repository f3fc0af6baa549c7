#include "runtime/stack_pool.hpp"

#include <sys/mman.h>

#include <algorithm>

#include "common/os_pages.hpp"
#include "common/page_giveback.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/lsan_interface.h>
#endif

namespace lunatic::runtime {

StackPool::StackPool(std::size_t usable_size, std::size_t stacks_per_chunk, std::size_t warm_stacks)
    : usable_size_(round_to_os_pages(usable_size)),
      stacks_per_chunk_(stacks_per_chunk > 0 ? stacks_per_chunk : 1),
      warm_limit_(warm_stacks) {}

StackPool::~StackPool() {
  if (any_abandoned_) return;  // left to the OS with the abandoned fibers (abandon)
  for (const Chunk& chunk : chunks_) {
#if defined(__SANITIZE_ADDRESS__)
    // Frames of fibers that ended by switching away stay poisoned; the address range may be
    // mapped again by anything.
    ASAN_UNPOISON_MEMORY_REGION(chunk.base, chunk.size);
#endif
    ::munmap(chunk.base, chunk.size);
  }
}

FiberStack StackPool::acquire() {
  std::unique_lock lock(mutex_);
  std::uintptr_t low = 0;
  // Stacks still being given back are reused before new address space is cut.
  if (free_.empty() && !returning_.empty()) give_back(lock);
  if (!free_.empty()) {
    const Pooled pooled = free_.back();  // the most recently released: likely resident
    free_.pop_back();
    low = pooled.low;
    if (pooled.warm) --warm_;
  } else {
    if (next_ == chunk_end_) {
      // One mapping per chunk; the kernel merges adjacent chunks, so mappings stay few.
      const std::size_t size = usable_size_ * stacks_per_chunk_;
      void* base = ::mmap(nullptr, size, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
      if (base == MAP_FAILED) return {};
      // A huge page would make one touched stack page cost 2 MiB of resident memory.
      ::madvise(base, size, MADV_NOHUGEPAGE);
      chunks_.push_back({base, size});
      next_ = reinterpret_cast<std::uintptr_t>(base);
      chunk_end_ = next_ + size;
    }
    low = next_;
    next_ += usable_size_;
  }
  return FiberStack{reinterpret_cast<void*>(low), usable_size_, low, low + usable_size_};
}

void StackPool::abandon(const FiberStack& stack) {
  if (stack.mapping == nullptr) return;
  std::lock_guard guard(mutex_);
  any_abandoned_ = true;
#if defined(__SANITIZE_ADDRESS__)
  __lsan_register_root_region(reinterpret_cast<void*>(stack.low), stack.high - stack.low);
#endif
}

void StackPool::release(FiberStack stack) {
  if (stack.mapping == nullptr) return;
  std::unique_lock lock(mutex_);
  if (warm_ < warm_limit_) {
    ++warm_;
    free_.push_back({stack.low, true});
    return;
  }
  // Given back with others in one batch; no fiber may use it before that is done.
  returning_.push_back(
      {stack.mapping, stack.mapping_size > kKeptTopBytes ? stack.mapping_size - kKeptTopBytes : 0});
  if (returning_.size() >= kGiveBackBatch) give_back(lock);
}

void StackPool::give_back(std::unique_lock<std::mutex>& lock) {
  std::vector<iovec> batch;
  batch.swap(returning_);
  // Outside the lock: the system call is the expensive part.
  lock.unlock();
  give_back_pages(batch);
  lock.lock();
  for (const iovec& stack : batch)
    free_.push_back({reinterpret_cast<std::uintptr_t>(stack.iov_base), false});
}

std::uint64_t StackPool::resident_bytes() {
  std::vector<Chunk> chunks;
  {
    std::lock_guard guard(mutex_);
    chunks = chunks_;  // chunks stay mapped while the pool lives
  }
  const std::size_t page = os_page_size();
  constexpr std::size_t kPagesPerCall = 4096;
  std::vector<unsigned char> pages(kPagesPerCall);
  std::uint64_t resident = 0;
  for (const Chunk& chunk : chunks) {
    auto* base = static_cast<std::uint8_t*>(chunk.base);
    for (std::size_t offset = 0; offset < chunk.size; offset += kPagesPerCall * page) {
      const std::size_t length = std::min(kPagesPerCall * page, chunk.size - offset);
      if (::mincore(base + offset, length, pages.data()) != 0) continue;
      resident += static_cast<std::uint64_t>(
          std::count_if(pages.begin(), pages.begin() + static_cast<std::ptrdiff_t>(length / page),
                        [](unsigned char p) { return (p & 1) != 0; }));
    }
  }
  return resident * page;
}

}  // namespace lunatic::runtime
