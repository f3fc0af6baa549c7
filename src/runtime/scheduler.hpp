// Runs processes on fibers, one worker thread (the caller of run()).
//
// A process is runnable, running, waiting (timer or fd readiness) or finished. Nothing a
// process does blocks the thread: waits park the fiber and the loop sleeps in epoll only when
// no process can run. Thread: everything runs on the thread that calls run().
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <unordered_map>

#include "runtime/process.hpp"
#include "runtime/reactor.hpp"
#include "runtime/stack_pool.hpp"
#include "runtime/timer_queue.hpp"

namespace lunatic::runtime {

class Scheduler {
 public:
  // How long a process may compute before it yields to others that are runnable.
  static constexpr auto kTimeSlice = std::chrono::milliseconds(1);

  Scheduler();
  ~Scheduler();

  // Creates a runnable process that will run `body` on its own fiber. Returns its id.
  std::uint64_t spawn(std::function<void(Process&)> body);

  // Runs until every process has finished.
  void run();

  // Process side.
  StackPool& stacks() { return stacks_; }
  Reactor& reactor() { return reactor_; }
  // Queues a process; one woken from a wait goes first, so timers and I/O are served
  // promptly even beside processes that compute.
  void make_runnable(Process& process, bool woken = false);
  void add_timer(Clock::time_point deadline, Process& process);
  bool others_runnable() const { return !run_queue_.empty(); }

 private:
  void dispatch_ready_events(int timeout_ms);

  StackPool stacks_;
  Reactor reactor_;
  TimerQueue timers_;
  std::deque<std::uint64_t> run_queue_;
  std::unordered_map<std::uint64_t, std::unique_ptr<Process>> processes_;
  std::uint64_t next_id_ = 1;
};

}  // namespace lunatic::runtime
