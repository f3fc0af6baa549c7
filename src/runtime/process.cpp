#include "runtime/process.hpp"

#include <poll.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "runtime/scheduler.hpp"

namespace lunatic::runtime {
namespace {

// Hands Boost.Context a stack that the pool already prepared.
struct PreparedStack {
  FiberStack stack;
  boost::context::stack_context allocate() {
    boost::context::stack_context context;
    context.size = stack.high - stack.low;
    context.sp = reinterpret_cast<void*>(stack.high);
    return context;
  }
  void deallocate(boost::context::stack_context&) noexcept {}  // the process returns it
};

}  // namespace

Process::Process(Scheduler& scheduler, std::uint64_t id, std::function<void(Process&)> body)
    : scheduler_(scheduler), id_(id), body_(std::move(body)), stack_(scheduler.stacks().acquire()) {
  if (stack_.mapping == nullptr) {
    std::fprintf(stderr, "lunatic: cannot allocate a fiber stack for process %llu\n",
                 static_cast<unsigned long long>(id));
    std::abort();
  }
  execution_.stack_low = stack_.low;
  execution_.stack_high = stack_.high;
  fiber_ = boost::context::fiber(
      std::allocator_arg, PreparedStack{stack_}, [this](boost::context::fiber&& scheduler_side) {
        scheduler_fiber_ = std::move(scheduler_side);
        body_(*this);
        state_ = State::kFinished;
        return std::move(scheduler_fiber_);
      });
}

Process::~Process() {
  if (state_ != State::kFinished) {
    // Destroying a suspended fiber would unwind it through generated code, which must never
    // happen; at shutdown its memory and stack are simply left to the OS.
    new boost::context::fiber(std::move(fiber_));
    return;
  }
  scheduler_.stacks().release(stack_);
}

void Process::resume() {
  state_ = State::kRunning;
  slice_start_ = Clock::now();
  engine::set_current_execution(&execution_);
  fiber_ = std::move(fiber_).resume();
  engine::set_current_execution(nullptr);
}

void Process::suspend(State next) {
  state_ = next;
  scheduler_fiber_ = std::move(scheduler_fiber_).resume();
  // Back on this fiber: the scheduler set our execution state before resuming us.
}

void Process::wake(std::uint64_t generation) {
  if (state_ != State::kWaiting || generation != wait_generation_) return;
  ++wait_generation_;
  scheduler_.make_runnable(*this, /*woken=*/true);
}

void Process::sleep_until(Clock::time_point deadline) {
  if (deadline <= Clock::now()) {
    yield_now();
    return;
  }
  scheduler_.add_timer(deadline, *this);
  suspend(State::kWaiting);
}

void Process::yield_now() {
  scheduler_.make_runnable(*this);
  suspend(State::kRunnable);
}

void Process::preempt_point() {
  if (Clock::now() - slice_start_ >= Scheduler::kTimeSlice && scheduler_.others_runnable()) {
    yield_now();
  }
}

bool Process::wait_fds(std::span<const FdInterest> interests, std::span<FdReadiness> ready,
                       std::optional<Clock::time_point> deadline) {
  std::vector<pollfd> fds;
  fds.reserve(interests.size());
  for (const auto& interest : interests) {
    fds.push_back({interest.fd, static_cast<short>((interest.read ? POLLIN : 0) | (interest.write ? POLLOUT : 0)), 0});
  }
  auto collect = [&] {
    bool any = false;
    ::poll(fds.data(), fds.size(), 0);
    for (size_t i = 0; i < fds.size(); ++i) {
      ready[i].readable = fds[i].revents & POLLIN;
      ready[i].writable = fds[i].revents & POLLOUT;
      ready[i].hangup = fds[i].revents & (POLLHUP | POLLERR | POLLNVAL);
      any = any || fds[i].revents != 0;
    }
    return any;
  };
  if (collect()) return true;
  if (deadline && *deadline <= Clock::now()) return false;

  bool unpollable = false;
  std::vector<int> watched;
  for (const auto& interest : interests) {
    if (scheduler_.reactor().watch(interest.fd, interest.read, interest.write, id_)) {
      watched.push_back(interest.fd);
    } else {
      unpollable = true;  // a regular file: always ready
    }
  }
  if (!unpollable) {
    if (deadline) scheduler_.add_timer(*deadline, *this);
    suspend(State::kWaiting);
  }
  for (int fd : watched) scheduler_.reactor().unwatch(fd);
  if (unpollable) {
    for (size_t i = 0; i < interests.size(); ++i) {
      ready[i].readable = interests[i].read;
      ready[i].writable = interests[i].write;
    }
    return true;
  }
  return collect();
}

}  // namespace lunatic::runtime
