// Fiber stacks with a guard page below them, recycled instead of unmapped.
//
// Only touched pages of a stack are resident, so a large virtual size costs little; a stack
// returned to the pool keeps its mapping for the next fiber.
// Thread: safe to use from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <vector>

namespace lunatic::runtime {

struct FiberStack {
  void* mapping = nullptr;      // lowest address, the start of the guard
  std::size_t mapping_size = 0;
  std::uintptr_t low = 0;       // lowest usable address (just above the guard)
  std::uintptr_t high = 0;      // one past the highest usable address (initial stack pointer)
};

class StackPool {
 public:
  static constexpr std::size_t kDefaultUsableSize = 1 << 20;  // 1 MiB
  static constexpr std::size_t kGuardSize = 64 * 1024;

  explicit StackPool(std::size_t usable_size = kDefaultUsableSize, std::size_t max_pooled = 1024);
  ~StackPool();
  StackPool(const StackPool&) = delete;
  StackPool& operator=(const StackPool&) = delete;

  // Returns a stack, or one with mapping == nullptr when the system refuses memory.
  FiberStack acquire();
  void release(FiberStack stack);

  std::size_t usable_size() const { return usable_size_; }

 private:
  std::size_t usable_size_;
  std::size_t max_pooled_;
  std::mutex mutex_;
  std::vector<FiberStack> free_;
};

}  // namespace lunatic::runtime
