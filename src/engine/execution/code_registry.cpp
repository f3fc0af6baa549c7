#include "engine/execution/code_registry.hpp"

#include <atomic>
#include <mutex>

namespace lunatic::engine {
namespace {

constexpr int kMaxRanges = 4096;

struct Range {
  std::atomic<std::uintptr_t> begin{0};
  std::atomic<std::uintptr_t> end{0};
};

Range g_ranges[kMaxRanges];
std::mutex g_writers;

}  // namespace

bool register_code_range(std::uintptr_t begin, std::uintptr_t end) {
  std::lock_guard lock(g_writers);
  for (auto& range : g_ranges) {
    if (range.begin.load(std::memory_order_relaxed) == 0) {
      range.end.store(end, std::memory_order_relaxed);
      range.begin.store(begin, std::memory_order_release);
      return true;
    }
  }
  return false;
}

void unregister_code_range(std::uintptr_t begin) {
  std::lock_guard lock(g_writers);
  for (auto& range : g_ranges) {
    if (range.begin.load(std::memory_order_relaxed) == begin) {
      range.begin.store(0, std::memory_order_release);
      range.end.store(0, std::memory_order_relaxed);
      return;
    }
  }
}

bool is_generated_code(std::uintptr_t pc) {
  for (const auto& range : g_ranges) {
    std::uintptr_t begin = range.begin.load(std::memory_order_acquire);
    if (begin != 0 && pc >= begin && pc < range.end.load(std::memory_order_relaxed)) return true;
  }
  return false;
}

}  // namespace lunatic::engine
