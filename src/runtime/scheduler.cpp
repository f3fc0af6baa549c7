#include "runtime/scheduler.hpp"

#include <algorithm>

namespace lunatic::runtime {

Scheduler::Scheduler() = default;

Scheduler::~Scheduler() { processes_.clear(); }

std::uint64_t Scheduler::spawn(std::function<void(Process&)> body) {
  const std::uint64_t id = next_id_++;
  processes_.emplace(id, std::make_unique<Process>(*this, id, std::move(body)));
  run_queue_.push_back(id);
  return id;
}

void Scheduler::make_runnable(Process& process, bool woken) {
  if (woken) {
    run_queue_.push_front(process.id());
  } else {
    run_queue_.push_back(process.id());
  }
}

void Scheduler::add_timer(Clock::time_point deadline, Process& process) {
  timers_.add({deadline, process.id(), process.wait_generation()});
}

void Scheduler::dispatch_ready_events(int timeout_ms) {
  for (std::uint64_t id : reactor_.wait(timeout_ms)) {
    if (auto it = processes_.find(id); it != processes_.end()) {
      it->second->wake(it->second->wait_generation());
    }
  }
  for (const TimerEntry& entry : timers_.take_due(Clock::now())) {
    if (auto it = processes_.find(entry.process_id); it != processes_.end()) {
      it->second->wake(entry.generation);
    }
  }
}

void Scheduler::run() {
  while (!processes_.empty()) {
    while (!run_queue_.empty()) {
      const std::uint64_t id = run_queue_.front();
      run_queue_.pop_front();
      auto it = processes_.find(id);
      if (it == processes_.end()) continue;
      it->second->resume();
      if (it->second->state() == Process::State::kFinished) processes_.erase(it);
      // Timers and readiness are checked between slices, so sleepers are not starved.
      if (!timers_.empty() || reactor_.watched() > 0) dispatch_ready_events(0);
    }
    if (processes_.empty()) break;
    int timeout_ms = -1;
    if (auto deadline = timers_.next_deadline()) {
      auto wait = std::chrono::ceil<std::chrono::milliseconds>(*deadline - Clock::now()).count();
      timeout_ms = static_cast<int>(std::max<long long>(0, wait));
    } else if (reactor_.watched() == 0) {
      break;  // every remaining process waits for something that can never happen
    }
    dispatch_ready_events(timeout_ms);
  }
}

}  // namespace lunatic::runtime
