// Every pending deadline of the runtime, earliest first: the timeouts of waiting processes
// (receive, sleep, poll) and messages sent after a delay (lunatic::timer::send_after).
//
// Waits are never removed early: each entry carries the generation of the wait it belongs to,
// and an entry whose wait has ended is ignored when it fires. Delayed messages can be
// cancelled by the process that set them. Entries that can no longer fire are swept out when
// the heap has doubled since the last sweep, so a server that answers requests with long
// timeouts, or sets and cancels timers all day, keeps a heap the size of its live deadlines.
// Thread: every method may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <vector>

#include "runtime/blocking.hpp"
#include "runtime/message.hpp"

namespace lunatic::runtime {

class Timers {
 public:
  // Answers whether the wait `generation` of process `process_id` may still be in progress;
  // called during a sweep, with the timers' lock held (it must not call back into Timers).
  using WaitIsCurrent = std::function<bool(std::uint64_t process_id, std::uint64_t generation)>;

  explicit Timers(WaitIsCurrent wait_is_current);

  // A waiting process's deadline. Returns true when it is now the earliest one.
  bool add_wait(Clock::time_point deadline, std::uint64_t process_id, std::uint64_t generation);

  struct Added {
    std::uint64_t timer_id;
    bool earliest;
  };
  // `message` goes to `target` at `deadline` unless `owner` cancels it first. Ids start at 1.
  Added add_send(Clock::time_point deadline, std::uint64_t owner, std::uint64_t target,
                 std::unique_ptr<Message> message);
  // Drops a delayed message that has not been sent. False when `timer_id` is not one of
  // `owner`'s pending timers (it fired, was cancelled, or never existed).
  bool cancel_send(std::uint64_t owner, std::uint64_t timer_id);

  struct Due {
    struct Wake {
      std::uint64_t process_id;
      std::uint64_t generation;
    };
    struct Send {
      std::uint64_t target;
      std::unique_ptr<Message> message;
    };
    std::vector<Wake> wakes;
    std::vector<Send> sends;
  };
  // Removes and returns what is due at `now`.
  Due take_due(Clock::time_point now);

  // The earliest deadline in nanoseconds of the clock's epoch, INT64_MAX when none; read
  // without the lock, so workers can check it between slices.
  std::int64_t next_deadline_ns() const {
    return next_deadline_ns_.load(std::memory_order_relaxed);
  }
  bool empty() const { return next_deadline_ns() == INT64_MAX; }

  // For tests and introspection.
  std::size_t heap_size() const;
  std::size_t pending_sends() const;

 private:
  static constexpr std::size_t kMinSweepSize = 4096;

  struct Entry {
    Clock::time_point deadline;
    std::uint64_t process_id;  // a wait: the waiting process; a send: 0
    std::uint64_t generation;  // a wait: its generation; a send: the timer id
    bool operator>(const Entry& other) const { return deadline > other.deadline; }
  };
  struct PendingSend {
    std::uint64_t owner;
    std::uint64_t target;
    std::unique_ptr<Message> message;
  };

  // Lock held. Returns true when `entry` is now the earliest deadline.
  bool push_locked(const Entry& entry);
  void sweep_locked();
  void publish_next_locked();

  WaitIsCurrent wait_is_current_;
  mutable std::mutex mutex_;
  std::vector<Entry> heap_;  // a min-heap on deadline (std::push_heap with std::greater)
  std::unordered_map<std::uint64_t, PendingSend> sends_;
  std::uint64_t next_timer_id_ = 1;
  std::size_t sweep_at_ = kMinSweepSize;
  std::atomic<std::int64_t> next_deadline_ns_{INT64_MAX};
};

}  // namespace lunatic::runtime
