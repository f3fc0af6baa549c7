#include "runtime/process.hpp"

#include <poll.h>

#include <algorithm>
#include <utility>

#include "engine/execution/trap.hpp"
#include "runtime/remote_peers.hpp"
#include "runtime/scheduler.hpp"
#include "runtime/trace_recorder.hpp"

namespace lunatic::runtime {
namespace {

// The process whose slice runs on this thread (set when a slice begins, by the worker or by a
// hand-over): the worker reads it when a fiber returns, to learn which one did.
thread_local Process* t_running = nullptr;

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

// Keeps suspended fibers of processes that never finished (the runtime stopped with its main
// process) reachable and never destroyed: their stacks hold guest frames that must not unwind.
void abandon(boost::context::fiber fiber) {
  static std::mutex mutex;
  static auto* abandoned = new std::vector<boost::context::fiber>();
  std::lock_guard guard(mutex);
  abandoned->push_back(std::move(fiber));
}

// Unread messages this large, freed when their process ends, are given back to the OS.
constexpr std::size_t kReleaseAfterBytes = 16u << 20;

}  // namespace

Process::Process(Scheduler& scheduler, std::uint64_t id, FiberStack stack,
                 std::function<void(Process&)> body)
    : scheduler_(scheduler), id_(id), stack_(stack), body_(std::move(body)) {
  execution_.stack_low = stack_.low;
  execution_.stack_high = stack_.high;
}

boost::context::fiber Process::make_fiber() {
  // The fiber is made when the process first runs, by the thread that runs it: making it
  // writes its record at the top of the stack, the first touch of that page (a page fault),
  // which the spawner's own critical path need not pay.
  started_ = true;
  return boost::context::fiber(
      std::allocator_arg, PreparedStack{stack_}, [this](boost::context::fiber&& scheduler_side) {
        fiber_asan_.finish_switch();
        scheduler_fiber_ = std::move(scheduler_side);
        body_(*this);
        body_ = nullptr;  // free what the body captured while still on this stack's owner
        if (auto* trace = trace_recorder()) [[unlikely]]
          trace->slice_ended(id_, false);
        {
          std::lock_guard guard(lock_);
          state_ = State::kFinished;
        }
        fiber_asan_.start_switch(fiber_asan_.other_bottom, fiber_asan_.other_size, /*dying=*/true);
        return std::move(scheduler_fiber_);
      });
}

Process::~Process() {
  delete handoff_.load(std::memory_order_acquire);
  if (started_ && state_.load(std::memory_order_acquire) != State::kFinished) {
    // Destroying a suspended fiber would unwind it through generated code, which must never
    // happen; at shutdown its memory and stack are simply left to the OS.
    abandon(std::move(fiber_));
    scheduler_.stacks().abandon(stack_);
  }
}

void Process::begin_slice() {
  // The clock is read at the slice's first preemption check: most slices end in a wait or a
  // yield before any, and a clock read costs as much as the rest of a switch.
  slice_start_.reset();
  engine::set_current_execution(&execution_);
  if (scheduler_.cpu_sampling()) [[unlikely]]
    scheduler_.note_running(id_);
  t_running = this;
  if (auto* trace = trace_recorder()) [[unlikely]]
    trace->slice_began(id_);
}

std::shared_ptr<Process> Process::run_slice() {
  // No lock here: a runnable process is queued or running, and a wake for either only turns
  // it kWoken (at worst a spurious wake-up of its next wait, which re-checks). That saves a
  // lock round trip per slice, a sixth of a yield.
  begin_slice();
  // Made (on a first run) before the sanitizer is told of the switch: making a fiber jumps
  // into it and back once, which is not the switch announced.
  boost::context::fiber fiber = take_fiber();
  FiberSanitizer worker_side;
  worker_side.start_switch(reinterpret_cast<const void*>(stack_.low), stack_.high - stack_.low);
  boost::context::fiber suspended = std::move(fiber).resume();
  worker_side.finish_switch();
  engine::set_current_execution(nullptr);
  // Back on the worker. The process that suspended is this one or one it handed the worker
  // over to (hand_over), and this one may by now be running on another worker: from here on,
  // only `last` is touched.
  Process& last = *std::exchange(t_running, nullptr);
  if (scheduler_.cpu_sampling()) [[unlikely]]
    scheduler_.note_running(0);
  last.fiber_ = std::move(suspended);
  return last.end_slice();
}

std::shared_ptr<Process> Process::end_slice() {
  // The fiber set kFinished itself, on this thread.
  if (state_.load(std::memory_order_relaxed) == State::kFinished) return finish();
  // A yield needs no state change: the process stays runnable, and a wake that came during
  // the slice stays pending (at worst a spurious wake-up of its next wait).
  if (suspend_ == Suspend::kYield) {
    scheduler_.enqueue(*this, Scheduler::Ready::kYielded);
    return nullptr;
  }
  settle_park();
  return nullptr;
}

void Process::settle_park() {
  // Wakers hold the lock but this does not: the compare-exchange decides whether a wake came
  // first (kWoken: it runs again at once) or comes later (kWaiting: the waker queues it).
  State expected = State::kRunnable;
  if (state_.compare_exchange_strong(expected, State::kWaiting, std::memory_order_acq_rel)) {
    return;
  }
  state_.store(State::kRunnable, std::memory_order_relaxed);  // a waker leaves kWoken alone
  scheduler_.enqueue(*this, Scheduler::Ready::kWoken);
}

std::shared_ptr<Process> Process::finish() {
  // The fiber has returned: its stack goes back to the pool now, while others may still hold
  // this object (to find it has ended).
  scheduler_.stacks().release(std::exchange(stack_, FiberStack{}));
  std::vector<Link> links;
  std::vector<std::uint64_t> monitors;
  // Messages nobody will read are freed now, with what they carry (modules, later sockets),
  // even while another thread still holds a reference to this process.
  std::vector<std::unique_ptr<Message>> unread;
  std::shared_ptr<void> upgrade;  // never reached: dropped after the lock, which tells its asker
  {
    std::lock_guard guard(lock_);
    upgrade = std::move(upgrade_request_);
    upgrade_pending_.store(false, std::memory_order_relaxed);
    links.swap(links_);
    monitors.swap(monitors_);
    scheduler_.counters().add(Counter::kLinksRemoved, links.size());
    scheduler_.counters().add(Counter::kMonitorsRemoved, monitors.size());
    if (auto handed = take_handoff()) unread.push_back(std::move(handed));
    mailbox_.take_all(unread);
  }
  std::size_t unread_bytes = unread.size() * sizeof(Message);
  for (const auto& message : unread) unread_bytes += message->data.capacity();
  unread.clear();
  upgrade.reset();
  // What a flooded mailbox held goes back to the OS, not only to the allocator.
  if (unread_bytes >= kReleaseAfterBytes) scheduler_.request_memory_release();
  std::shared_ptr<Process> self = scheduler_.forget(id_);  // no longer found from here on
  RemotePeers* remote = scheduler_.remote_peers();
  for (const Link& link : links) {
    if (auto peer = scheduler_.find(link.peer)) {
      peer->link_died(id_, link.tag, death_reason_);
    } else if (remote != nullptr && remote->is_remote(link.peer)) {
      remote->link_died(link.peer, id_, link.tag, death_reason_);
    }
  }
  for (std::uint64_t watcher : monitors) {
    if (auto peer = scheduler_.find(watcher)) {
      peer->send(Message::process_died(id_));
    } else if (remote != nullptr && remote->is_remote(watcher)) {
      remote->monitored_died(watcher, id_);
    }
  }
  return self;
}

void Process::switch_to_scheduler(Suspend how) {
  suspend_ = how;
  if (auto* trace = trace_recorder()) [[unlikely]]
    trace->slice_ended(id_, how == Suspend::kPark);
#if !LUNATIC_FIBER_ASAN
  // The sanitizer's record of which stack a fiber came from assumes it always returns to its
  // worker, so sanitized builds always do.
  if (how == Suspend::kPark) {
    if (Process* next = scheduler_.take_successor()) return hand_over(*next);
  }
#endif
  fiber_asan_.start_switch(fiber_asan_.other_bottom, fiber_asan_.other_size);
  scheduler_fiber_ = std::move(scheduler_fiber_).resume();
  fiber_asan_.finish_switch();
  // Back on this fiber, possibly on another worker thread; whoever resumed it began its slice.
}

void Process::hand_over(Process& next) {
  // `next` runs on this worker straight from this fiber, as the worker loop would have run it
  // next: one stack switch instead of two, and no pass through the loop. It inherits this
  // fiber's way back to the worker.
  next.begin_slice();
  scheduler_fiber_ = next.take_fiber().resume_with([this](boost::context::fiber&& parked) {
    // On next's stack, on this worker: this process is suspended now.
    fiber_ = std::move(parked);
    boost::context::fiber worker = std::move(scheduler_fiber_);
    settle_park();  // from here on another worker may resume it: it is not touched again
    return worker;
  });
  // Resumed, by a worker or by a process handing over; either passed its worker's way back.
}

void Process::park(std::unique_lock<SpinLock>& lock) {
  lock.unlock();
  switch_to_scheduler(Suspend::kPark);
  lock.lock();
}

void Process::wake_locked() {
  State state = state_.load(std::memory_order_acquire);
  for (;;) {
    if (state == State::kWaiting) {
      if (state_.compare_exchange_weak(state, State::kRunnable, std::memory_order_acq_rel)) {
        // Only the waker that ended the wait writes it, under the lock: no atomic add needed.
        wait_generation_.store(wait_generation_.load(std::memory_order_relaxed) + 1,
                               std::memory_order_relaxed);
        scheduler_.enqueue(*this, Scheduler::Ready::kWoken);
        return;
      }
    } else if (state == State::kRunnable) {
      // It may be about to park: its worker sees kWoken and requeues it instead.
      if (state_.compare_exchange_weak(state, State::kWoken, std::memory_order_acq_rel)) return;
    } else {
      return;  // woken already, or finished
    }
  }
}

void Process::wake(std::uint64_t generation) {
  std::lock_guard guard(lock_);
  if (generation != wait_generation_) return;
  wake_locked();
}

void Process::wake_any() {
  std::lock_guard guard(lock_);
  wake_locked();
}

bool Process::push_locked(std::unique_ptr<Message>& message) {
  // Counted for metrics: the messages waiting once this one is in, it included.
  const std::uint64_t depth = mailbox_.size() + 1;
  if (waiting_for_mailbox_ && Mailbox::matches(*message, waiting_tags_)) {
    // Nothing queued matched the wait, so this message is the one it takes: hand it over.
    scheduler_.counters().note_sent(depth, message->data.size());
    waiting_for_mailbox_ = false;
    handoff_.store(message.release(), std::memory_order_release);
    wake_locked();
    return true;
  }
  if ((max_mailbox_messages_ | max_mailbox_bytes_) != 0 && message->kind == Message::Kind::kData)
      [[unlikely]] {
    if (max_mailbox_messages_ != 0 && mailbox_.size() >= max_mailbox_messages_) return false;
    if (max_mailbox_bytes_ != 0 &&
        mailbox_.data_bytes() + message->data.size() > max_mailbox_bytes_) {
      return false;
    }
  }
  scheduler_.counters().note_sent(depth, message->data.size());
  mailbox_.push(std::move(message));
  return true;
}

std::unique_ptr<Message> Process::take_handoff() {
  // A sender stores into the slot only while waiting_for_mailbox_, which it clears as it does:
  // once the slot holds a message nobody else writes it, so clearing it needs no exchange.
  Message* message = handoff_.load(std::memory_order_acquire);
  if (message != nullptr) handoff_.store(nullptr, std::memory_order_relaxed);
  return std::unique_ptr<Message>(message);
}

Process::Delivery Process::send(std::unique_ptr<Message> message) {
  if (auto* trace = trace_recorder()) [[unlikely]] {
    trace->sent(t_running != nullptr ? t_running->id() : 0, id_, *message);
  }
  {
    std::lock_guard guard(lock_);
    if (state_.load(std::memory_order_relaxed) == State::kFinished) return Delivery::kDead;
    if (push_locked(message)) return Delivery::kQueued;
  }
  return Delivery::kMailboxFull;  // the refused message is freed here, after the lock
}

void Process::limit_mailbox(std::uint64_t max_messages, std::uint64_t max_bytes) {
  std::lock_guard guard(lock_);
  max_mailbox_messages_ = max_messages;
  max_mailbox_bytes_ = max_bytes;
}

void Process::kill(std::string reason) {
  if (auto* trace = trace_recorder()) [[unlikely]] {
    trace->killed(id_, t_running != nullptr ? t_running->id() : 0, reason);
  }
  std::lock_guard guard(lock_);
  if (state_.load(std::memory_order_relaxed) == State::kFinished || kill_reason_) return;
  kill_reason_ = std::move(reason);
  killed_.store(true, std::memory_order_release);
  wake_locked();
}

Process::UpgradePost Process::post_upgrade(std::shared_ptr<void> request) {
  std::lock_guard guard(lock_);
  if (state_.load(std::memory_order_relaxed) == State::kFinished || kill_reason_) {
    return UpgradePost::kDead;
  }
  if (upgrade_request_) return UpgradePost::kBusy;
  upgrade_request_ = std::move(request);
  upgrade_pending_.store(true, std::memory_order_release);
  if (waiting_for_mailbox_ && waiting_at_boundary_) wake_locked();
  return UpgradePost::kPosted;
}

void Process::withdraw_upgrade(const void* request) {
  std::shared_ptr<void> withdrawn;  // released after the lock
  std::lock_guard guard(lock_);
  if (upgrade_request_.get() != request) return;
  withdrawn = std::move(upgrade_request_);
  upgrade_pending_.store(false, std::memory_order_relaxed);
}

std::shared_ptr<const void> Process::module() {
  std::lock_guard guard(lock_);
  return module_;
}

void Process::set_module(std::shared_ptr<const void> module) {
  std::lock_guard guard(lock_);
  module_.swap(module);  // the old one is released after the lock
}

std::shared_ptr<void> Process::take_upgrade() {
  std::lock_guard guard(lock_);
  upgrade_pending_.store(false, std::memory_order_relaxed);
  return std::move(upgrade_request_);
}

bool Process::add_link(std::uint64_t peer, std::int64_t tag) {
  std::lock_guard guard(lock_);
  if (state_.load(std::memory_order_relaxed) == State::kFinished) return false;
  for (Link& link : links_) {
    if (link.peer == peer) {
      link.tag = tag;
      return true;
    }
  }
  links_.push_back({peer, tag});
  scheduler_.counters().add(Counter::kLinksAdded);
  return true;
}

void Process::remove_link(std::uint64_t peer) {
  std::lock_guard guard(lock_);
  const std::size_t unlinked =
      std::erase_if(links_, [peer](const Link& link) { return link.peer == peer; });
  scheduler_.counters().add(Counter::kLinksRemoved, unlinked);
}

bool Process::add_monitor(std::uint64_t watcher) {
  std::lock_guard guard(lock_);
  if (state_.load(std::memory_order_relaxed) == State::kFinished) return false;
  if (std::find(monitors_.begin(), monitors_.end(), watcher) == monitors_.end()) {
    monitors_.push_back(watcher);
    scheduler_.counters().add(Counter::kMonitorsAdded);
  }
  return true;
}

void Process::remove_monitor(std::uint64_t watcher) {
  std::lock_guard guard(lock_);
  scheduler_.counters().add(Counter::kMonitorsRemoved, std::erase(monitors_, watcher));
}

void Process::link_died(std::uint64_t peer, std::int64_t tag, DeathReason reason) {
  std::unique_lock lock(lock_);
  if (state_.load(std::memory_order_relaxed) == State::kFinished) return;
  const std::size_t unlinked =
      std::erase_if(links_, [peer](const Link& link) { return link.peer == peer; });
  scheduler_.counters().add(Counter::kLinksRemoved, unlinked);
  if (reason == DeathReason::kNormal) return;  // as in Lunatic, a normal exit is not reported
  if (die_when_link_dies_) {
    if (!kill_reason_) {
      kill_reason_ = "linked process " + std::to_string(peer) +
                     (reason == DeathReason::kNoProcess  ? " does not exist"
                      : reason == DeathReason::kNodeDown ? " was lost with its node"
                                                         : " died");
      killed_.store(true, std::memory_order_release);
    }
    wake_locked();
    return;
  }
  auto signal = Message::link_died(peer, tag, reason);
  push_locked(signal);  // a signal: never refused
}

void Process::set_die_when_link_dies(bool die) {
  std::lock_guard guard(lock_);
  die_when_link_dies_ = die;
}

std::size_t Process::mailbox_size() {
  std::lock_guard lock(lock_);
  return mailbox_.size();
}

ProcessInfo Process::introspect() {
  ProcessInfo info;
  info.id = id_;
  info.parent = parent_;
  info.module = module_.get();
  info.cpu_ns = scheduler_.cpu_ns(id_);
  info.memory_bytes = execution_.guest_memory_bytes.load(std::memory_order_relaxed);
  std::lock_guard guard(lock_);
  switch (state_.load(std::memory_order_acquire)) {
    case State::kRunnable:
    case State::kWoken:
      info.status = ProcessStatus::kRunnable;
      break;
    case State::kWaiting:
      switch (wait_.load(std::memory_order_relaxed)) {
        case Wait::kMessage:
          info.status = ProcessStatus::kWaitingMessage;
          break;
        case Wait::kTimer:
          info.status = ProcessStatus::kWaitingTimer;
          break;
        case Wait::kIo:
          info.status = ProcessStatus::kWaitingIo;
          break;
      }
      break;
    case State::kFinished:
      info.status = ProcessStatus::kFinished;
      break;
  }
  info.kill_pending = kill_reason_.has_value();
  info.mailbox_messages = mailbox_.size();
  info.mailbox_bytes = mailbox_.data_bytes();
  info.links.reserve(links_.size());
  for (const Link& link : links_) info.links.push_back(link.peer);
  info.monitored_by = monitors_;
  return info;
}

void Process::check_killed() {
  // Called at every yield and preemption check: the common case takes no lock.
  if (!killed_.load(std::memory_order_acquire)) return;
  std::unique_lock lock(lock_);
  if (kill_reason_) throw engine::GuestTrap{engine::TrapKind::kKilled, *kill_reason_};
}

std::unique_ptr<Message> Process::receive(std::span<const std::int64_t> tags,
                                          std::optional<Clock::time_point> deadline,
                                          std::size_t skip, bool* upgrade_due) {
  std::unique_ptr<Message> message = take_message(tags, deadline, skip, upgrade_due);
  if (auto* trace = trace_recorder()) [[unlikely]] {
    if (message) trace->received(id_, *message);
  }
  return message;
}

std::unique_ptr<Message> Process::take_message(std::span<const std::int64_t> tags,
                                               std::optional<Clock::time_point> deadline,
                                               std::size_t skip, bool* upgrade_due) {
  auto taken = [this](std::unique_ptr<Message> message) {
    scheduler_.counters().note_received(message->data.size());
    return message;
  };
  std::unique_lock lock(lock_);
  if (kill_reason_) throw engine::GuestTrap{engine::TrapKind::kKilled, *kill_reason_};
  if (upgrade_due != nullptr && upgrade_request_) [[unlikely]] {
    *upgrade_due = true;  // before any message: the new code takes them, in order
    return nullptr;
  }
  if (auto message = mailbox_.take(tags, skip)) return taken(std::move(message));
  if (deadline && *deadline <= scheduler_.now()) return nullptr;
  waiting_for_mailbox_ = true;
  waiting_at_boundary_ = upgrade_due != nullptr;
  waiting_tags_ = tags;
  wait_.store(Wait::kMessage, std::memory_order_relaxed);
  for (;;) {
    if (deadline) scheduler_.add_timer(*deadline, *this, wait_generation_);
    lock.unlock();
    switch_to_scheduler(Suspend::kPark);
    // Usually a sender ended the wait by handing its message over: no lock is needed to take it.
    if (!killed_.load(std::memory_order_acquire)) {
      if (auto message = take_handoff()) return taken(std::move(message));
    }
    lock.lock();
    if (kill_reason_) {
      waiting_for_mailbox_ = false;
      throw engine::GuestTrap{engine::TrapKind::kKilled, *kill_reason_};
    }
    if (auto message = take_handoff()) return taken(std::move(message));  // the sender cleared it
    if (upgrade_due != nullptr && upgrade_request_) {
      waiting_for_mailbox_ = false;
      *upgrade_due = true;
      return nullptr;
    }
    if (auto message = mailbox_.take(tags, skip)) {
      waiting_for_mailbox_ = false;
      return taken(std::move(message));
    }
    if (deadline && *deadline <= scheduler_.now()) {
      waiting_for_mailbox_ = false;
      return nullptr;
    }
  }
}

void Process::sleep_until(Clock::time_point deadline) {
  std::unique_lock lock(lock_);
  wait_.store(Wait::kTimer, std::memory_order_relaxed);
  while (!kill_reason_ && scheduler_.now() < deadline) {
    scheduler_.add_timer(deadline, *this, wait_generation_);
    park(lock);
  }
  if (kill_reason_) throw engine::GuestTrap{engine::TrapKind::kKilled, *kill_reason_};
}

void Process::yield_now() {
  check_killed();
  switch_to_scheduler(Suspend::kYield);
  check_killed();
}

void Process::preempt_point() {
  check_killed();
  if (scheduler_.stopping()) return yield_now();
  const auto now = scheduler_.now();
  if (!slice_start_) {
    slice_start_ = now;
    return;
  }
  // A due timer counts as other work: when every worker computes, a slice's end is the only
  // moment a sleeper's timer can be fired.
  if (now - *slice_start_ >= Scheduler::kTimeSlice &&
      (scheduler_.others_runnable() || scheduler_.events_due(now))) {
    yield_now();
  }
}

bool Process::wait_fds(std::span<const FdInterest> interests, std::span<FdReadiness> ready,
                       std::optional<Clock::time_point> deadline) {
  std::vector<pollfd> fds;
  fds.reserve(interests.size());
  for (const auto& interest : interests) {
    fds.push_back(
        {interest.fd,
         static_cast<short>((interest.read ? POLLIN : 0) | (interest.write ? POLLOUT : 0)), 0});
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
  check_killed();
  if (collect()) return true;
  wait_.store(Wait::kIo, std::memory_order_relaxed);
  // Loops because a wake-up can be spurious (a stale timer, a wake meant for an earlier wait):
  // only readiness or the deadline ends the wait.
  for (;;) {
    if (deadline && *deadline <= scheduler_.now()) return false;
    bool unpollable = false;
    std::vector<int> watched;
    {
      std::unique_lock lock(lock_);
      for (const auto& interest : interests) {
        if (scheduler_.reactor().watch(interest.fd, interest.read, interest.write, id_)) {
          watched.push_back(interest.fd);
        } else {
          unpollable = true;  // a regular file: always ready
        }
      }
      if (!unpollable) {
        if (deadline) scheduler_.add_timer(*deadline, *this, wait_generation_);
        park(lock);
      }
    }
    for (int fd : watched) scheduler_.reactor().unwatch(fd);
    check_killed();
    if (unpollable) {
      for (size_t i = 0; i < interests.size(); ++i) {
        ready[i].readable = interests[i].read;
        ready[i].writable = interests[i].write;
      }
      return true;
    }
    if (collect()) return true;
  }
}

bool Process::wait_io(IoSource& source, IoDirection direction, std::uint64_t seen,
                      std::optional<Clock::time_point> deadline) {
  check_killed();
  if (deadline && *deadline <= scheduler_.now()) return false;
  Reactor& reactor = scheduler_.reactor();
  wait_.store(Wait::kIo, std::memory_order_relaxed);
  {
    std::unique_lock lock(lock_);
    if (!reactor.add_waiter(source, direction, seen, id_, wait_generation_)) return true;
    if (deadline) scheduler_.add_timer(*deadline, *this, wait_generation_);
    park(lock);
  }
  reactor.remove_waiter(source, direction, id_);  // when a timer or a kill ended the wait
  check_killed();
  return true;
}

}  // namespace lunatic::runtime
