#include "common/own_process_descriptor.hpp"

#include <pthread.h>
#include <unistd.h>

namespace lunatic {
namespace {

// Counts the forks this OS process descends from (starting at 1, so that a zero state is never
// current).
std::atomic<std::uint32_t> g_fork_generation{1};

void count_fork_in_child() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

bool fork_counted() {
  static const bool registered = ::pthread_atfork(nullptr, nullptr, count_fork_in_child) == 0;
  return registered;
}

}  // namespace

int OwnProcessDescriptor::get() {
  if (!fork_counted()) return -1;  // cannot tell a child from its parent: do without
  const std::uint64_t generation = g_fork_generation.load(std::memory_order_relaxed);
  std::uint64_t state = state_.load(std::memory_order_acquire);
  if ((state >> 32) == generation && (state & 0xFFFF'FFFF) != 0) {
    return static_cast<int>(state & 0xFFFF'FFFF) - 2;
  }
  const int opened = open_();
  const std::uint64_t low = opened >= 0 ? static_cast<std::uint64_t>(opened) + 2 : 1;
  const std::uint64_t made = (generation << 32) | low;
  if (state_.compare_exchange_strong(state, made, std::memory_order_acq_rel)) {
    return opened >= 0 ? opened : -1;
  }
  if (opened >= 0) ::close(opened);  // another thread opened it first
  return static_cast<int>(state & 0xFFFF'FFFF) - 2;
}

}  // namespace lunatic
