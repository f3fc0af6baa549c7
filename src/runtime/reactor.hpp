// Readiness of file descriptors for waiting processes (epoll, edge of one wait at a time).
// Thread: owned by one scheduler thread.
#pragma once

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

  // Waits up to timeout_ms (-1: forever) and returns the ids of processes whose fds are ready.
  std::vector<std::uint64_t> wait(int timeout_ms);

  std::size_t watched() const { return watched_; }

 private:
  int epoll_fd_ = -1;
  std::size_t watched_ = 0;
};

}  // namespace lunatic::runtime
