#include "runtime/timers.hpp"

#include <algorithm>

namespace lunatic::runtime {
Timers::Timers(WaitIsCurrent wait_is_current) : wait_is_current_(std::move(wait_is_current)) {}

bool Timers::push_locked(const Entry& entry) {
  heap_.push_back(entry);
  std::push_heap(heap_.begin(), heap_.end(), std::greater<>{});
  const std::int64_t ns = to_ns(entry.deadline);
  const bool earliest = ns < next_deadline_ns_.load(std::memory_order_relaxed);
  if (earliest) next_deadline_ns_.store(ns, std::memory_order_relaxed);
  if (heap_.size() >= sweep_at_) sweep_locked();  // keeps `entry`: it is live
  return earliest;
}

bool Timers::add_wait(Clock::time_point deadline, std::uint64_t process_id,
                      std::uint64_t generation) {
  std::lock_guard guard(mutex_);
  return push_locked({deadline, process_id, generation});
}

Timers::Added Timers::add_send(Clock::time_point deadline, std::uint64_t owner,
                               std::uint64_t target, std::unique_ptr<Message> message) {
  std::lock_guard guard(mutex_);
  const std::uint64_t id = next_timer_id_++;
  sends_.emplace(id, PendingSend{owner, target, std::move(message)});
  return {id, push_locked({deadline, 0, id})};
}

bool Timers::cancel_send(std::uint64_t owner, std::uint64_t timer_id) {
  std::unique_ptr<Message> dropped;  // freed outside the lock
  std::lock_guard guard(mutex_);
  auto it = sends_.find(timer_id);
  if (it == sends_.end() || it->second.owner != owner) return false;
  dropped = std::move(it->second.message);
  sends_.erase(it);
  // Its heap entry stays until it is due or swept: removing from the middle of a heap costs
  // a search, and the sweep bounds what cancelled entries can cost.
  return true;
}

Timers::Due Timers::take_due(Clock::time_point now) {
  Due due;
  std::lock_guard guard(mutex_);
  while (!heap_.empty() && heap_.front().deadline <= now) {
    std::pop_heap(heap_.begin(), heap_.end(), std::greater<>{});
    const Entry entry = heap_.back();
    heap_.pop_back();
    if (entry.process_id != 0) {
      due.wakes.push_back({entry.process_id, entry.generation});
      continue;
    }
    auto it = sends_.find(entry.generation);
    if (it == sends_.end()) continue;  // cancelled
    due.sends.push_back({it->second.target, std::move(it->second.message)});
    sends_.erase(it);
  }
  publish_next_locked();
  return due;
}

void Timers::sweep_locked() {
  std::erase_if(heap_, [this](const Entry& entry) {
    if (entry.process_id == 0) return !sends_.contains(entry.generation);
    return !wait_is_current_(entry.process_id, entry.generation);
  });
  std::make_heap(heap_.begin(), heap_.end(), std::greater<>{});
  sweep_at_ = std::max(kMinSweepSize, heap_.size() * 2);
  publish_next_locked();
}

void Timers::publish_next_locked() {
  next_deadline_ns_.store(heap_.empty() ? INT64_MAX : to_ns(heap_.front().deadline),
                          std::memory_order_relaxed);
}

std::size_t Timers::heap_size() const {
  std::lock_guard guard(mutex_);
  return heap_.size();
}

std::size_t Timers::pending_sends() const {
  std::lock_guard guard(mutex_);
  return sends_.size();
}

}  // namespace lunatic::runtime
