// Readiness of file descriptors for waiting processes, shared by all workers (epoll); idle
// workers sleep in wait(), and notify() wakes them when work is queued. Two kinds of waits:
//   - watch(): a descriptor watched once, for one process (WASI's poll_oneoff, pipes, stdin);
//   - register_source(): a descriptor registered for its whole life, edge-triggered, that any
//     number of processes wait on through add_waiter() (sockets; see io_source.hpp).
// Thread: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "runtime/io_source.hpp"

namespace lunatic::runtime {

// What one wait() found: processes to wake whatever they wait for (watch()), and waits on
// sources that ended (a process id with the generation of the wait that ended).
struct ReadyEvents {
  std::vector<std::uint64_t> processes;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> waits;
  bool empty() const { return processes.empty() && waits.empty(); }
};

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

  // Registers `fd` for as long as the returned source lives (it deregisters itself; close the
  // descriptor after it is gone). Returns nullptr, errno set, if epoll refuses the descriptor.
  std::shared_ptr<IoSource> register_source(int fd);
  // Adds a waiter for `direction` unless the source's readiness count is no longer `seen`
  // (it became ready meanwhile: the caller retries instead of waiting). Returns whether added.
  bool add_waiter(IoSource& source, IoDirection direction, std::uint64_t seen,
                  std::uint64_t process_id, std::uint64_t generation);
  // Removes the process's waiter if a readiness event has not already taken it.
  void remove_waiter(IoSource& source, IoDirection direction, std::uint64_t process_id);

  // Waits up to timeout_ms (-1: forever, 0: poll) for ready descriptors; returns early,
  // possibly empty, after notify().
  ReadyEvents wait(int timeout_ms);
  void notify();

  // Descriptors watched plus processes waiting on sources: while nonzero, a readiness event
  // may still wake someone.
  std::size_t watched() const { return watched_.load(std::memory_order_relaxed); }
  // Descriptors registered now (sockets), for metrics.
  std::size_t sources() const;

 private:
  friend class IoSource;
  void deregister(IoSource& source);
  void signal(std::uint64_t key, std::uint32_t events, ReadyEvents& ready);

  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<std::size_t> watched_{0};
  mutable std::mutex sources_mutex_;  // guards sources_ and next_key_
  std::unordered_map<std::uint64_t, std::weak_ptr<IoSource>> sources_;
  std::uint64_t next_key_ = 0;
};

}  // namespace lunatic::runtime
