#include "runtime/stack_pool.hpp"

#include <sys/mman.h>

namespace lunatic::runtime {

StackPool::StackPool(std::size_t usable_size, std::size_t max_pooled)
    : usable_size_(usable_size), max_pooled_(max_pooled) {}

StackPool::~StackPool() {
  for (auto& stack : free_) ::munmap(stack.mapping, stack.mapping_size);
}

FiberStack StackPool::acquire() {
  std::unique_lock lock(mutex_);
  if (!free_.empty()) {
    FiberStack stack = free_.back();
    free_.pop_back();
    return stack;
  }
  lock.unlock();
  const std::size_t total = usable_size_ + kGuardSize;
  void* mapping = ::mmap(nullptr, total, PROT_READ | PROT_WRITE,
                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
  if (mapping == MAP_FAILED) return {};
  if (::mprotect(mapping, kGuardSize, PROT_NONE) != 0) {
    ::munmap(mapping, total);
    return {};
  }
  const auto low = reinterpret_cast<std::uintptr_t>(mapping) + kGuardSize;
  return FiberStack{mapping, total, low, low + usable_size_};
}

void StackPool::release(FiberStack stack) {
  if (stack.mapping == nullptr) return;
  std::unique_lock lock(mutex_);
  if (free_.size() >= max_pooled_) {
    lock.unlock();
    ::munmap(stack.mapping, stack.mapping_size);
    return;
  }
  free_.push_back(stack);
}

}  // namespace lunatic::runtime
