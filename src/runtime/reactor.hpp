// Readiness of file descriptors for waiting processes (epoll, one-shot per wait), shared by all
// workers; idle workers sleep in wait(), and notify() wakes them when work is queued.
// Thread: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

namespace lunatic::runtime {

class Reactor {
 public:
  Reactor();
  ~Reactor();
  Reactor(const Reactor&) = delete;
  Reactor& operator=(const Reactor&) = delete;

  // Watches `fd` once for the given interest on behalf of `process_id`.
  // Returns false if the descriptor cannot be watched (e.g. a regular file).
  bool watch(int fd, bool read, bool write, std::uint64_t process_id);
  void unwatch(int fd);

  // Waits up to timeout_ms (-1: forever, 0: poll) and returns the ids of processes whose fds
  // are ready; returns early, possibly empty, after notify().
  std::vector<std::uint64_t> wait(int timeout_ms);
  void notify();

  std::size_t watched() const { return watched_.load(std::memory_order_relaxed); }

 private:
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<std::size_t> watched_{0};
};

}  // namespace lunatic::runtime
