// A process: one fiber that runs a body (usually a wasm instance), and the Blocking interface
// its host calls use to wait. Thread: the scheduler thread that owns it.
#pragma once

#include <boost/context/fiber.hpp>
#include <cstdint>
#include <functional>
#include <vector>

#include "engine/execution.hpp"
#include "runtime/blocking.hpp"
#include "runtime/stack_pool.hpp"

namespace lunatic::runtime {

class Scheduler;

class Process final : public Blocking {
 public:
  enum class State { kRunnable, kRunning, kWaiting, kFinished };

  Process(Scheduler& scheduler, std::uint64_t id, std::function<void(Process&)> body);
  ~Process() override;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  std::uint64_t id() const { return id_; }
  State state() const { return state_; }
  engine::ExecutionState& execution() { return execution_; }

  // Scheduler side: runs the fiber until it suspends or finishes.
  void resume();
  // Scheduler side: ends a wait (timer or readiness) if it is still the current one.
  void wake(std::uint64_t generation);
  std::uint64_t wait_generation() const { return wait_generation_; }

  // Blocking, called from host code on this process's fiber.
  void sleep_until(Clock::time_point deadline) override;
  void yield_now() override;
  void preempt_point() override;
  bool wait_fds(std::span<const FdInterest> interests, std::span<FdReadiness> ready,
                std::optional<Clock::time_point> deadline) override;

 private:
  void suspend(State next);

  Scheduler& scheduler_;
  std::uint64_t id_;
  std::function<void(Process&)> body_;
  State state_ = State::kRunnable;
  std::uint64_t wait_generation_ = 0;
  FiberStack stack_;
  engine::ExecutionState execution_;
  boost::context::fiber fiber_;
  boost::context::fiber scheduler_fiber_;
  Clock::time_point slice_start_{};
};

}  // namespace lunatic::runtime
