// A descriptor registered with the reactor once, for as long as it is open (sockets). Any number
// of processes may wait on it at the same time, for reading or for writing (a reader and a
// writer sharing a stream): the reactor watches it edge-triggered and wakes every waiter of a
// direction when that direction becomes ready.
//
// Lost wake-ups are ruled out by a readiness count per direction: a process reads the count,
// tries its operation, and when the operation would block waits only while the count is still
// the one it read (Reactor::add_waiter refuses otherwise, and the process tries again).
// Thread: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <vector>

namespace lunatic::runtime {

class Reactor;

enum class IoDirection : std::uint8_t { kRead = 0, kWrite = 1 };

class IoSource {
 public:
  IoSource(Reactor& reactor, int fd, std::uint64_t key) : reactor_(reactor), fd_(fd), key_(key) {}
  ~IoSource();
  IoSource(const IoSource&) = delete;
  IoSource& operator=(const IoSource&) = delete;

  int fd() const { return fd_; }
  // Stops watching the descriptor. Call it before closing the descriptor: the reactor may hold
  // the source a moment longer than its owner, and a descriptor number closed and reused by then
  // must not be unregistered in its place. The destructor does it if no one did.
  void deregister();
  // How many times the direction became ready; read it before trying an operation.
  std::uint64_t readiness(IoDirection direction) const {
    return counts_[index(direction)].load(std::memory_order_acquire);
  }

 private:
  friend class Reactor;
  struct Waiter {
    std::uint64_t process_id;
    std::uint64_t generation;
  };
  static std::size_t index(IoDirection direction) { return static_cast<std::size_t>(direction); }

  Reactor& reactor_;
  const int fd_;
  const std::uint64_t key_;  // the reactor's name for it in epoll events
  std::atomic<bool> registered_{true};
  std::mutex mutex_;  // guards waiters_ and the count increments
  std::atomic<std::uint64_t> counts_[2] = {0, 0};
  std::vector<Waiter> waiters_[2];
};

}  // namespace lunatic::runtime
