// Runs processes on fibers across N worker threads.
//
// Each worker has its own run queue; an idle worker steals from the others, then sleeps in the
// shared reactor (epoll) until a timer is due, a descriptor is ready or new work is queued.
// Nothing a process does blocks a worker: waits park the fiber. Processes woken from a wait go
// to the front of a queue, so timers and I/O are served promptly beside processes that compute.
// A process that a worker's own process spawns or wakes goes into that worker's next slot (as
// in Tokio's LIFO slot): it runs on the same core as soon as the current process suspends,
// without waking another worker, which keeps request/reply and spawn-and-wait on one core's
// caches. The slot is not stealable; a run of slot hand-offs is capped so queued work is not
// starved, and a computing process yields to it after its time slice like to any other. A
// process that parks hands its worker straight to the slot's process (take_successor), without
// a pass through the worker loop, under the same cap.
// Idle workers are woken one at a time: a wake-up in flight is not repeated, and a worker that
// wakes and finds more queued work wakes the next.
// Unit tests can drive it instead from their own thread, one slice at a time (run_one), with a
// clock they move by hand (SchedulerOptions::clock).
// Thread: spawn, find, enqueue, add_timer, send_after, cancel_timer and stop may be called from
// any thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "runtime/clock_source.hpp"
#include "runtime/cpu_sampler.hpp"
#include "runtime/process.hpp"
#include "runtime/process_table.hpp"
#include "runtime/reactor.hpp"
#include "runtime/remote_peers.hpp"
#include "runtime/runtime_counters.hpp"
#include "runtime/stack_pool.hpp"
#include "runtime/timers.hpp"

namespace lunatic::runtime {

struct SchedulerOptions {
  unsigned workers = std::thread::hardware_concurrency();
  ClockSource clock = ClockSource::steady();
  // Ids count up from here: a cluster's node starts at its own range (cluster/process_id.hpp).
  std::uint64_t first_process_id = 1;
};

class Scheduler {
 public:
  // How long a process may compute before it yields to others that are runnable.
  static constexpr auto kTimeSlice = std::chrono::milliseconds(1);
  // How often busy workers poll descriptors between slices.
  static constexpr std::chrono::nanoseconds kIoPollInterval = std::chrono::microseconds(500);

  explicit Scheduler(SchedulerOptions options);
  explicit Scheduler(unsigned workers = std::thread::hardware_concurrency())
      : Scheduler(SchedulerOptions{.workers = workers}) {}
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Creates a runnable process that will run `body` on its own fiber.
  std::shared_ptr<Process> spawn(std::function<void(Process&)> body);
  // The two halves of spawn: a created process can be linked before start() makes it visible
  // and runnable. Returns nullptr when no fiber stack can be had.
  std::shared_ptr<Process> create(std::function<void(Process&)> body);
  void start(const std::shared_ptr<Process>& process);

  // Runs the workers (the calling thread is one of them) until stop() is called or no process
  // can ever run again. Returns true when stopped, false on a deadlock (processes remain, all
  // waiting for something that cannot happen).
  bool run();
  void stop();
  // While held, run() goes on when no process lives and waits for work instead of calling it
  // a deadlock: a cluster's node serves spawns and messages from other nodes. Any thread.
  void hold();
  void release_hold();
  // For a test that drives the scheduler from its own thread instead of calling run(): runs one
  // slice of the next runnable process on the calling thread, as worker 0, after firing due
  // timers and ready descriptors when nothing else is runnable. Returns false when nothing
  // could run. Never while run() runs.
  bool run_one();

  std::shared_ptr<Process> find(std::uint64_t id) const { return table_.find(id); }
  std::size_t process_count() const { return table_.size(); }
  // Processes waiting in each worker's queue now (for metrics; a racy snapshot).
  std::vector<std::size_t> queued_per_worker() const;
  // ---- Introspection (any thread) ----
  // Counts each process's CPU time from here on, by sampling what each worker runs every
  // `period` (runtime/cpu_sampler): a store per switch and a thread, so it is off unless a
  // dashboard asks for it. Call before run().
  void enable_cpu_sampling(std::chrono::nanoseconds period = std::chrono::milliseconds(10));
  bool cpu_sampling() const { return cpu_sampling_.load(std::memory_order_relaxed); }
  // On a worker thread, with sampling on: the process it runs now (0: none).
  void note_running(std::uint64_t id);
  // The CPU time sampled for process `id` so far (0 with sampling off).
  std::uint64_t cpu_ns(std::uint64_t id) const {
    return cpu_sampler_ ? cpu_sampler_->cpu_ns(id) : 0;
  }
  // Nanoseconds each worker spent awake (running processes, serving events, looking for work)
  // since it started: its time in the worker loop less its sleeps in the reactor. The clock is
  // read only around those sleeps, so this is always on.
  std::vector<std::uint64_t> busy_ns_per_worker() const;
  // Up to `limit` live processes, each kept alive by the reference returned; which ones when
  // there are more is unspecified. Takes each shard of the table's lock in turn, briefly.
  std::vector<std::shared_ptr<Process>> live_processes(std::size_t limit) const {
    return table_.collect(limit);
  }
  // What the runtime counts for metrics (its workers own a block each while they run).
  RuntimeCounters& counters() { return counters_; }
  const RuntimeCounters& counters() const { return counters_; }
  // Where links and monitors to other nodes' processes go when a process dies; nullptr (the
  // default) outside a cluster. Set before processes run, cleared after.
  void set_remote_peers(RemotePeers* peers) { remote_peers_.store(peers); }
  RemotePeers* remote_peers() const { return remote_peers_.load(std::memory_order_acquire); }

  // ---- Process side ----
  StackPool& stacks() { return stacks_; }
  Reactor& reactor() { return reactor_; }
  enum class Ready : std::uint8_t {
    kNew,      // spawned
    kWoken,    // its wait ended
    kYielded,  // suspended to let others run
  };
  void enqueue(Process& process, Ready why);
  void add_timer(Clock::time_point deadline, Process& process, std::uint64_t generation);
  // lunatic::timer: `message` goes to process `target` at `deadline` (dropped if it is dead by
  // then), unless `owner` cancels it first. Returns the timer's id.
  std::uint64_t send_after(Clock::time_point deadline, std::uint64_t owner, std::uint64_t target,
                           std::unique_ptr<Message> message);
  // True when `owner`'s timer was pending and is now cancelled.
  bool cancel_timer(std::uint64_t owner, std::uint64_t timer_id) {
    return timers_.cancel_send(owner, timer_id);
  }
  const Timers& timers() const { return timers_; }
  // The time, read from the clock the scheduler was made with.
  Clock::time_point now() const { return clock_.now(clock_.state); }
  // On a worker thread: whether its slot or queue holds a process that waits to run.
  bool others_runnable() const;
  // On a worker thread, for a process about to park: the process in this worker's slot, taken
  // out, when it may run next without a pass through the worker loop (its run of slot
  // hand-offs allows it and no timer or descriptor may be due); nullptr otherwise.
  Process* take_successor();
  // A timer has fired or descriptors are due a poll: a worker should service them soon, even
  // if that means suspending the process it runs.
  bool events_due(Clock::time_point now) const;
  // True once stop() was called: computing processes yield so their workers can return.
  bool stopping() const { return stopping_.load(std::memory_order_relaxed); }
  // Drops a finished process from the table and hands back the table's reference, which the
  // worker drops once the process's last slice has returned.
  std::shared_ptr<Process> forget(std::uint64_t id);
  // Much memory was just freed (a large mailbox of a process that ended): every worker gives
  // what its heap no longer uses back to the OS, before its next slice or on its next wake-up.
  void request_memory_release();

 private:
  // Consecutive slot hand-offs before a worker looks at its queue first.
  static constexpr unsigned kMaxSlotStreak = 32;

  // Aligned so that two workers never share a cache line (their queue state is hot).
  struct alignas(128) Worker {
    std::mutex mutex;
    std::deque<Process*> queue;
    std::atomic<std::size_t> queued{0};  // queue.size(), readable without the mutex
    Process* slot = nullptr;             // touched only by the worker's own thread
    Process* yielded = nullptr;          // just yielded, not yet requeued (own thread only)
    unsigned slot_streak = 0;
    std::uint64_t release_seen = 0;  // the last memory release it made (own thread only)
    // Steady-clock ns, written by its own thread only: when it entered the worker loop (0: not
    // yet), its sleeps so far, and when its current sleep began (0: awake).
    std::atomic<std::int64_t> started_ns{0};
    std::atomic<std::int64_t> slept_ns{0};
    std::atomic<std::int64_t> sleeping_since_ns{0};
    std::atomic<std::uint64_t> running{0};  // with CPU sampling on: the process it runs (0: none)

    // The slot's process may run before the queue: its run of hand-offs is not over.
    bool slot_goes_first() const { return slot != nullptr && slot_streak < kMaxSlotStreak; }
  };

  void push_queue(unsigned index, Process& process, bool front);
  bool timers_or_descriptors() const;  // a timer is pending or a descriptor watched
  // False when events_due() surely is, told from the clock's cheap reading (the coarse clock),
  // so a worker that runs slices back to back while a far timer is pending does not read the
  // precise clock each time.
  bool events_may_be_due() const;
  bool events_due_at(std::int64_t now_ns) const;  // events_due, with the clock in ns
  std::size_t total_queued() const;               // what idle workers could steal
  void wake_idle_worker();
  void share_backlog();  // wakes an idle worker when queued work could use it

  void worker_loop(unsigned index);
  // Runs one slice of the next process worker `index` can take, then fires timers and
  // descriptors that are due. Returns false when there was nothing to run.
  bool run_next(unsigned index);
  Process* take_work(unsigned index);
  // Polls ready descriptors (waiting up to timeout_ms), then fires them and due timers.
  // Returns true if any process was woken.
  bool service_events(int timeout_ms);
  bool dispatch_events(const ReadyEvents& ready);
  int idle_timeout_ms();

  const ClockSource clock_;
  std::vector<std::unique_ptr<Worker>> workers_;
  RuntimeCounters counters_;
  StackPool stacks_;
  Reactor reactor_;
  ProcessTable table_;

  Timers timers_;
  std::mutex timer_firing_;  // held by the worker that takes and delivers due timers

  std::atomic<std::uint64_t> next_id_;
  std::atomic<unsigned> holds_{0};
  std::atomic<unsigned> idle_{0};
  std::atomic<bool> wake_in_flight_{false};
  std::atomic<unsigned> round_robin_{0};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> deadlocked_{false};
  std::atomic<std::int64_t> last_io_poll_ns_{0};
  std::atomic<std::uint64_t> release_epoch_{0};  // memory releases requested so far
  std::atomic<RemotePeers*> remote_peers_{nullptr};
  std::atomic<bool> cpu_sampling_{false};
  std::unique_ptr<CpuSampler> cpu_sampler_;  // reads workers_ and table_: stopped first
};

}  // namespace lunatic::runtime
