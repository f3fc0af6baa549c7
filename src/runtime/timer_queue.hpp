// Deadlines of waiting processes, earliest first. Entries are never removed early: each carries
// the generation of the wait it belongs to, and a stale entry is ignored when it fires.
// Thread: guarded by the scheduler's timer lock.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <vector>

#include "runtime/blocking.hpp"

namespace lunatic::runtime {

struct TimerEntry {
  Clock::time_point deadline;
  std::uint64_t process_id;
  std::uint64_t generation;
  bool operator>(const TimerEntry& other) const { return deadline > other.deadline; }
};

class TimerQueue {
 public:
  void add(TimerEntry entry) { heap_.push(entry); }
  bool empty() const { return heap_.empty(); }
  std::optional<Clock::time_point> next_deadline() const {
    if (heap_.empty()) return std::nullopt;
    return heap_.top().deadline;
  }
  // Removes and returns the entries due at `now`.
  std::vector<TimerEntry> take_due(Clock::time_point now) {
    std::vector<TimerEntry> due;
    while (!heap_.empty() && heap_.top().deadline <= now) {
      due.push_back(heap_.top());
      heap_.pop();
    }
    return due;
  }

 private:
  std::priority_queue<TimerEntry, std::vector<TimerEntry>, std::greater<>> heap_;
};

}  // namespace lunatic::runtime
