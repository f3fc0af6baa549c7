// A process: one fiber that runs a body (a wasm instance), its mailbox, and its links and
// monitors. Signals (messages, kill, link and monitor changes) may come from any thread; they
// take the process's lock. The fiber itself runs on one worker thread at a time and may move
// between workers while it is suspended.
#pragma once

#include <atomic>
#include <boost/context/fiber.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/execution/execution.hpp"
#include "runtime/blocking.hpp"
#include "runtime/fiber_sanitizer.hpp"
#include "runtime/mailbox.hpp"
#include "runtime/process_info.hpp"
#include "runtime/spin_lock.hpp"
#include "runtime/stack_pool.hpp"

namespace lunatic::runtime {

class Scheduler;

class Process final : public Blocking {
 public:
  // kRunnable: queued or running (the two are not told apart, so a slice starts without a lock).
  // kWoken: runnable, and a wake came while it ran; the park it may be about to make is void.
  enum class State : std::uint8_t { kRunnable, kWoken, kWaiting, kFinished };

  Process(Scheduler& scheduler, std::uint64_t id, FiberStack stack,
          std::function<void(Process&)> body);
  ~Process() override;
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  std::uint64_t id() const { return id_; }
  engine::ExecutionState& execution() { return execution_; }
  // Who spawned it (0: nobody) and what it runs, for introspection; before start().
  void set_origin(std::uint64_t parent, std::shared_ptr<const void> module) {
    parent_ = parent;
    module_ = std::move(module);
  }
  std::uint64_t parent() const { return parent_; }  // fixed once started
  // What it runs now: set_origin's module, or the one a code upgrade moved it to. Opaque here
  // (the host's engine::Module); shared, so a process of an old version keeps it identifiable.
  std::shared_ptr<const void> module();
  void set_module(std::shared_ptr<const void> module);  // on its own fiber

  // ---- Introspection, from any thread ----
  // This process now; takes its lock for as long as copying its links and monitors takes.
  ProcessInfo introspect();

  // ---- Scheduler side (the worker thread that dequeued the process) ----
  // Runs the fiber until it suspends or finishes, then requeues it, parks it or, when it
  // finished, tells its links and monitors. Once it has finished, returns the table's
  // reference to it, for the caller to drop after this call; nullptr while it lives.
  std::shared_ptr<Process> run_slice();
  // Ends a wait when `generation` is still the current one (timers, fd readiness).
  void wake(std::uint64_t generation);
  // The current wait's generation; a timer of an older one can no longer wake the process.
  std::uint64_t wait_generation() const { return wait_generation_.load(std::memory_order_relaxed); }
  // Ends whatever wait is current (fd readiness); the waiter re-checks its condition.
  void wake_any();

  // ---- Signals, from any thread ----
  enum class Delivery : std::uint8_t { kQueued, kDead, kMailboxFull };
  // Queues a message. Returns kDead when the process has already died, kMailboxFull when a data
  // message would pass the mailbox's limits (signals never do); the message is dropped then.
  Delivery send(std::unique_ptr<Message> message);
  // Bounds the mailbox: at most `max_messages` data messages carrying at most `max_bytes` in
  // all (0: unbounded). Call before the process is started.
  void limit_mailbox(std::uint64_t max_messages, std::uint64_t max_bytes);
  // Ends the process at its next suspension or preemption point; it cannot be caught.
  void kill(std::string reason);
  // `peer` learns of this process's death with `tag`. Returns false if this process is dead.
  bool add_link(std::uint64_t peer, std::int64_t tag);
  void remove_link(std::uint64_t peer);
  bool add_monitor(std::uint64_t watcher);
  void remove_monitor(std::uint64_t watcher);
  // A linked process died: dies too (failures, unless exits are trapped) or gets a message.
  void link_died(std::uint64_t peer, std::int64_t tag, DeathReason reason);
  // A code upgrade asks this process to move to new code at its next message boundary (a
  // receive that accepts any message): the request is handled there before any message, and a
  // process already waiting at one is woken for it. One request at a time; the request is
  // opaque here (the host knows what it holds).
  enum class UpgradePost : std::uint8_t { kPosted, kDead, kBusy };
  UpgradePost post_upgrade(std::shared_ptr<void> request);
  // Takes `request` back if the process has not taken it yet (its asker stopped waiting).
  void withdraw_upgrade(const void* request);

  // ---- On the process's own fiber ----
  void set_die_when_link_dies(bool die);
  // How the body ended; read when the process is finished.
  void set_death(DeathReason reason) { death_reason_ = reason; }
  // Takes the first message matching `tags` (any when empty), waiting until one arrives or the
  // deadline passes (nullptr). The first `skip` queued messages are not searched: a caller
  // that counted them (mailbox_size) before sending a request waits only for newer ones.
  // Throws a kKilled GuestTrap.
  // With `upgrade_due` given, the receive is a message boundary: when an upgrade request is
  // pending (before any message is taken, or while it waits) it returns nullptr and sets it.
  std::unique_ptr<Message> receive(std::span<const std::int64_t> tags,
                                   std::optional<Clock::time_point> deadline, std::size_t skip = 0,
                                   bool* upgrade_due = nullptr);
  // The pending upgrade request, taken (nullptr when there is none).
  std::shared_ptr<void> take_upgrade();
  bool upgrade_pending() const { return upgrade_pending_.load(std::memory_order_acquire); }
  // Messages queued now; only the process itself takes messages out, so they stay first.
  std::size_t mailbox_size();
  // Throws a kKilled GuestTrap if a kill is pending: host thunks turn it into an unwind of
  // the guest, and nothing the guest does can catch it.
  void check_killed();

  // Blocking (each throws a kKilled GuestTrap when the process is killed while it waits).
  void sleep_until(Clock::time_point deadline) override;
  void yield_now() override;
  void preempt_point() override;
  bool wait_fds(std::span<const FdInterest> interests, std::span<FdReadiness> ready,
                std::optional<Clock::time_point> deadline) override;
  bool wait_io(IoSource& source, IoDirection direction, std::uint64_t seen,
               std::optional<Clock::time_point> deadline) override;

 private:
  enum class Suspend : std::uint8_t { kYield, kPark };
  enum class Wait : std::uint8_t { kMessage, kTimer, kIo };  // what a kWaiting process waits for
  struct Link {
    std::uint64_t peer;
    std::int64_t tag;
  };

  // receive, without its trace hook.
  std::unique_ptr<Message> take_message(std::span<const std::int64_t> tags,
                                        std::optional<Clock::time_point> deadline, std::size_t skip,
                                        bool* upgrade_due);
  // Parks the fiber until woken; the lock is held on entry and on return.
  void park(std::unique_lock<SpinLock>& lock);
  // The message a sender handed over while this process waited, or nullptr.
  std::unique_ptr<Message> take_handoff();
  // The fiber to resume: the suspended one, or on the first run a new one on the stack.
  boost::context::fiber take_fiber() {
    if (started_) [[likely]]
      return std::move(fiber_);
    return make_fiber();
  }
  // Out of line: once per process, and its body would weigh on every slice's path.
  [[gnu::noinline]] boost::context::fiber make_fiber();
  void switch_to_scheduler(Suspend how);
  // Runs `next` (taken from this worker's slot) in place of the worker loop while this parks.
  void hand_over(Process& next);
  void begin_slice();  // before a slice of this process starts, on the thread that runs it
  // After a slice ended, on the worker: requeues, parks or finishes (see run_slice).
  std::shared_ptr<Process> end_slice();
  // Makes a park take effect, or requeues the process when a wake came first.
  void settle_park();
  void wake_locked();  // lock held
  // Queues a message (taking it) and wakes the process if it waits for one like it; lock held.
  // Returns false, leaving it with the caller, when the mailbox is full.
  bool push_locked(std::unique_ptr<Message>& message);
  std::shared_ptr<Process> finish();  // after the fiber ended: notify links and monitors

  // First, what a message hop touches, so that it spans few cache lines: with a thousand
  // processes taking turns, each hop finds them cold.
  Scheduler& scheduler_;
  const std::uint64_t id_;
  SpinLock lock_;  // guards the state below that is not atomic, and the cold part
  // Changed by wakers under the lock, and without it by the process's own worker when a park
  // takes effect (kRunnable to kWaiting, or kWoken back to kRunnable): a compare-exchange
  // tells the two apart, so a park costs no lock round trip.
  std::atomic<State> state_{State::kRunnable};
  bool waiting_for_mailbox_ = false;
  // Set by the process before it parks, read by introspection (in padding: no extra line).
  std::atomic<Wait> wait_{Wait::kMessage};
  std::atomic<bool> killed_{false};           // kill_reason_ is set; read without the lock
  std::atomic<bool> upgrade_pending_{false};  // upgrade_request_ is set; read without the lock
  bool waiting_at_boundary_ = false;          // the current wait for a message is a boundary
  Suspend suspend_ = Suspend::kYield;
  bool started_ = false;  // its fiber was made (make_fiber), on the thread that first ran it
  // A message sent while this process waited for one like it skips the mailbox: the sender
  // stores it here (under the lock) and ends the wait, and the receiver takes it without a
  // lock when it resumes. Only set while waiting_for_mailbox_, which the sender clears.
  std::atomic<Message*> handoff_{nullptr};
  std::atomic<std::uint64_t> wait_generation_{0};  // changed under the lock, read without it
  std::span<const std::int64_t> waiting_tags_;
  Mailbox mailbox_;
  boost::context::fiber fiber_;  // empty until the process first runs, and while it runs
  boost::context::fiber scheduler_fiber_;
  std::optional<Clock::time_point> slice_start_;  // set at the slice's first preemption check
  FiberStack stack_;
  engine::ExecutionState execution_;

  // Then what signals and the process's start and end use.
  bool die_when_link_dies_ = true;
  DeathReason death_reason_ = DeathReason::kNormal;
  std::optional<std::string> kill_reason_;
  std::vector<Link> links_;
  std::vector<std::uint64_t> monitors_;
  std::uint64_t max_mailbox_messages_ = 0;  // 0: unbounded
  std::uint64_t max_mailbox_bytes_ = 0;
  std::function<void(Process&)> body_;
  std::uint64_t parent_ = 0;
  std::shared_ptr<const void> module_;     // under the lock once started
  std::shared_ptr<void> upgrade_request_;  // under the lock
  FiberSanitizer fiber_asan_;              // used on the fiber's side of a switch
};

}  // namespace lunatic::runtime
