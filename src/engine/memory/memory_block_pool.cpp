#include "engine/memory/memory_block_pool.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstring>

#include "common/os_pages.hpp"
#include "common/page_giveback.hpp"
#include "common/resident_pages.hpp"
#include "engine/memory/linear_memory.hpp"

namespace lunatic::engine {
namespace {

std::uint64_t block_bytes(int size_class) { return kWasmPageSize << size_class; }

bool is_large(std::uint64_t capacity) { return capacity >= MemoryBlockPool::kRegionBytes; }

// Smallest class holding `bytes`; kClasses when none does.
int class_for(std::uint64_t bytes, int classes) {
  int size_class = 0;
  while (size_class < classes && block_bytes(size_class) < bytes) ++size_class;
  return size_class;
}

std::uint8_t* map_blocks(std::uint64_t bytes) {
  void* base = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) return nullptr;
  // A huge page would make one touched wasm page cost 2 MiB of resident memory; the same
  // flags everywhere also let adjacent mappings merge into one.
  ::madvise(base, bytes, MADV_NOHUGEPAGE);
  return static_cast<std::uint8_t*>(base);
}

}  // namespace

MemoryBlockPool& MemoryBlockPool::shared() {
  // Never destroyed: memories may still be freed while static destructors run.
  static auto* pool = new MemoryBlockPool;
  return *pool;
}

std::uint64_t MemoryBlockPool::capacity_for(std::uint64_t bytes) {
  const int size_class = class_for(bytes, kClasses);
  return size_class == kClasses ? 0 : block_bytes(size_class);
}

MemoryBlockPool::Block MemoryBlockPool::acquire(std::uint64_t bytes) {
  const int size_class = class_for(bytes, kClasses);
  if (size_class == kClasses) return {};
  const std::uint64_t capacity = block_bytes(size_class);
  if (is_large(capacity)) return {map_blocks(capacity), capacity};

  std::unique_lock lock(mutex_);
  SizeClass& pool = classes_[size_class];
  // Blocks still being given back are reused before new address space is cut.
  if (pool.free.empty() && !returning_.empty()) give_back(lock);
  if (!pool.free.empty()) {
    const Released released = pool.free.back();
    pool.free.pop_back();
    warm_bytes_ -= released.resident_bytes;
    return {released.base, capacity};
  }
  if (pool.next == pool.end) {
    std::uint8_t* region = map_blocks(kRegionBytes);
    if (region == nullptr) return {};
    mapped_bytes_ += kRegionBytes;
    pool.next = region;
    pool.end = region + kRegionBytes;
  }
  std::uint8_t* base = pool.next;
  pool.next += capacity;
  return {base, capacity};
}

MemoryBlockPool::Block MemoryBlockPool::grow(Block block, std::uint64_t used_bytes,
                                             std::uint64_t bytes) {
  const int size_class = class_for(bytes, kClasses);
  if (size_class == kClasses) return {};
  const std::uint64_t capacity = block_bytes(size_class);
  if (is_large(block.capacity)) {
    void* moved = ::mremap(block.base, block.capacity, capacity, MREMAP_MAYMOVE);
    if (moved == MAP_FAILED) return {};
    ::madvise(moved, capacity, MADV_NOHUGEPAGE);
    return {static_cast<std::uint8_t*>(moved), capacity};
  }
  const Block bigger = acquire(bytes);
  if (bigger.base == nullptr) return {};
  std::memcpy(bigger.base, block.base, used_bytes);
  release(block, used_bytes);
  return bigger;
}

void MemoryBlockPool::release(Block block, std::uint64_t used_bytes) {
  if (block.base == nullptr) return;
  if (is_large(block.capacity)) {
    ::munmap(block.base, block.capacity);
    return;
  }
  const std::uint64_t used = round_to_os_pages(std::min(used_bytes, block.capacity));
  std::optional<std::uint64_t> zeroed;
  if (used <= kZeroInPlaceBytes) {
    bool budget_left;
    {
      std::lock_guard lock(mutex_);
      budget_left = warm_bytes_ + used <= kWarmBudgetBytes;
    }
    // Outside the lock: zeroing and system calls are the expensive part of a release.
    if (budget_left) zeroed = zero_resident_pages(block.base, used);
  }
  std::unique_lock lock(mutex_);
  const int size_class = class_for(block.capacity, kClasses);
  if (!zeroed && used > 0) {
    // Given back (and so zeroed) with others in one batch, before anyone can take it again.
    returning_.push_back({{block.base, used}, size_class});
    returning_bytes_ += used;
    if (returning_.size() >= kGiveBackBatch || returning_bytes_ >= kReturningBudgetBytes) {
      give_back(lock);
    }
    return;
  }
  const std::uint64_t resident = zeroed.value_or(0);
  warm_bytes_ += resident;
  classes_[size_class].free.push_back({block.base, resident});
}

void MemoryBlockPool::give_back(std::unique_lock<std::mutex>& lock) {
  std::vector<Returning> batch;
  batch.swap(returning_);
  returning_bytes_ = 0;
  // Outside the lock: the system call is the expensive part.
  lock.unlock();
  std::vector<iovec> ranges;
  ranges.reserve(batch.size());
  for (const Returning& block : batch) ranges.push_back(block.pages);
  give_back_pages(ranges);
  lock.lock();
  for (const Returning& block : batch) {
    auto* base = static_cast<std::uint8_t*>(block.pages.iov_base);
    classes_[block.size_class].free.push_back({base, 0});
  }
}

std::uint64_t MemoryBlockPool::mapped_bytes() const {
  std::lock_guard lock(mutex_);
  return mapped_bytes_;
}

std::uint64_t MemoryBlockPool::warm_bytes() const {
  std::lock_guard lock(mutex_);
  return warm_bytes_;
}

}  // namespace lunatic::engine
