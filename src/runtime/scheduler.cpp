#include "runtime/scheduler.hpp"

#include <algorithm>
#include <utility>

#include "engine/execution/signals.hpp"
#include "runtime/heap_release.hpp"

namespace lunatic::runtime {
namespace {

thread_local int tls_worker = -1;  // index of the worker running on this thread, or -1

// The calling thread acts as worker `index` while this lives.
class AsWorker {
 public:
  explicit AsWorker(unsigned index) { tls_worker = static_cast<int>(index); }
  ~AsWorker() { tls_worker = -1; }
  AsWorker(const AsWorker&) = delete;
  AsWorker& operator=(const AsWorker&) = delete;
};

// Wall time for workers' busy time, also when a test drives the scheduler's own clock by hand.
std::int64_t steady_ns() { return to_ns(std::chrono::steady_clock::now()); }

}  // namespace

Scheduler::Scheduler(SchedulerOptions options)
    : clock_(options.clock),
      counters_(std::max(1u, options.workers)),
      timers_([this](std::uint64_t process_id, std::uint64_t generation) {
        auto process = table_.find(process_id);
        return process != nullptr && process->wait_generation() == generation;
      }),
      next_id_(options.first_process_id) {
  const unsigned workers = std::max(1u, options.workers);
  for (unsigned i = 0; i < workers; ++i) workers_.push_back(std::make_unique<Worker>());
}

Scheduler::~Scheduler() {
  cpu_sampler_.reset();
  table_.clear();
}

std::shared_ptr<Process> Scheduler::spawn(std::function<void(Process&)> body) {
  auto process = create(std::move(body));
  if (process) start(process);
  return process;
}

std::shared_ptr<Process> Scheduler::create(std::function<void(Process&)> body) {
  FiberStack stack = stacks_.acquire();
  if (stack.mapping == nullptr) return nullptr;
  const std::uint64_t id = next_id_.fetch_add(1, std::memory_order_relaxed);
  return std::make_shared<Process>(*this, id, stack, std::move(body));
}

void Scheduler::start(const std::shared_ptr<Process>& process) {
  table_.insert(process->id(), process);
  counters_.add(Counter::kProcessesSpawned);
  enqueue(*process, Ready::kNew);
}

void Scheduler::enqueue(Process& process, Ready why) {
  if (tls_worker >= 0) {
    const auto index = static_cast<unsigned>(tls_worker);
    Worker& worker = *workers_[index];
    if (why == Ready::kYielded) {
      // Requeued by take_work, which pushes it and pops the next under one lock.
      worker.yielded = &process;
      return;
    }
    Process* displaced = worker.slot;
    worker.slot = &process;
    if (displaced != nullptr) push_queue(index, *displaced, /*front=*/true);
    return;
  }
  const unsigned index = round_robin_.fetch_add(1, std::memory_order_relaxed) % workers_.size();
  push_queue(index, process, /*front=*/why == Ready::kWoken);
}

void Scheduler::push_queue(unsigned index, Process& process, bool front) {
  Worker& worker = *workers_[index];
  {
    std::lock_guard guard(worker.mutex);
    if (front) {
      worker.queue.push_front(&process);
    } else {
      worker.queue.push_back(&process);
    }
  }
  // Sequentially consistent with the idle check in worker_loop: either the worker sees the
  // work before it sleeps, or this sees the worker idle and wakes it.
  worker.queued.fetch_add(1);
  if (idle_.load() > 0) wake_idle_worker();
}

std::vector<std::size_t> Scheduler::queued_per_worker() const {
  std::vector<std::size_t> queued;
  queued.reserve(workers_.size());
  for (const auto& worker : workers_) queued.push_back(worker->queued.load());
  return queued;
}

void Scheduler::enable_cpu_sampling(std::chrono::nanoseconds period) {
  if (cpu_sampler_) return;
  cpu_sampler_ = std::make_unique<CpuSampler>(
      period,
      [this](std::vector<std::uint64_t>& running) {
        running.clear();
        for (const auto& worker : workers_) {
          running.push_back(worker->running.load(std::memory_order_relaxed));
        }
      },
      [this](std::uint64_t id) { return table_.find(id) != nullptr; });
  cpu_sampling_.store(true);
}

void Scheduler::note_running(std::uint64_t id) {
  if (tls_worker >= 0) workers_[tls_worker]->running.store(id, std::memory_order_relaxed);
}

std::vector<std::uint64_t> Scheduler::busy_ns_per_worker() const {
  const std::int64_t now = steady_ns();
  std::vector<std::uint64_t> busy;
  busy.reserve(workers_.size());
  for (const auto& worker : workers_) {
    const std::int64_t started = worker->started_ns.load(std::memory_order_relaxed);
    const std::int64_t sleeping_since = worker->sleeping_since_ns.load(std::memory_order_relaxed);
    const std::int64_t asleep = worker->slept_ns.load(std::memory_order_relaxed) +
                                (sleeping_since != 0 ? now - sleeping_since : 0);
    busy.push_back(
        started != 0 ? static_cast<std::uint64_t>(std::max<std::int64_t>(0, now - started - asleep))
                     : 0);
  }
  return busy;
}

std::size_t Scheduler::total_queued() const {
  std::size_t total = 0;
  for (const auto& worker : workers_) total += worker->queued.load();
  return total;
}

bool Scheduler::others_runnable() const {
  if (tls_worker < 0) return false;
  const Worker& worker = *workers_[static_cast<unsigned>(tls_worker)];
  return worker.slot != nullptr || worker.queued.load(std::memory_order_relaxed) > 0;
}

Process* Scheduler::take_successor() {
  if (tls_worker < 0) return nullptr;
  Worker& own = *workers_[static_cast<unsigned>(tls_worker)];
  if (!own.slot_goes_first() || stopping()) return nullptr;
  if (timers_or_descriptors() && events_may_be_due()) return nullptr;  // the loop services them
  ++own.slot_streak;
  return std::exchange(own.slot, nullptr);
}

void Scheduler::share_backlog() {
  // Work is only pushed to queues when it is new; a worker that keeps cycling through a
  // backlog must still wake an idle one to steal from it.
  if (idle_.load(std::memory_order_relaxed) > 0 && total_queued() > 0) wake_idle_worker();
}

void Scheduler::wake_idle_worker() {
  // One wake-up at a time: the woken worker clears the flag before it looks for work, and
  // wakes the next if it finds more than it takes.
  if (!wake_in_flight_.exchange(true)) reactor_.notify();
}

void Scheduler::add_timer(Clock::time_point deadline, Process& process, std::uint64_t generation) {
  // A sleeping worker computed its timeout from a later deadline.
  if (timers_.add_wait(deadline, process.id(), generation) &&
      idle_.load(std::memory_order_relaxed) > 0) {
    reactor_.notify();
  }
}

std::uint64_t Scheduler::send_after(Clock::time_point deadline, std::uint64_t owner,
                                    std::uint64_t target, std::unique_ptr<Message> message) {
  const Timers::Added added = timers_.add_send(deadline, owner, target, std::move(message));
  if (added.earliest && idle_.load(std::memory_order_relaxed) > 0) reactor_.notify();
  return added.timer_id;
}

std::shared_ptr<Process> Scheduler::forget(std::uint64_t id) { return table_.remove(id); }

void Scheduler::stop() {
  stopping_.store(true);
  reactor_.notify();
}

Process* Scheduler::take_work(unsigned index) {
  Worker& own = *workers_[index];
  auto take_slot = [&]() -> Process* {
    Process* process = own.slot;
    own.slot = nullptr;
    return process;
  };
  Process* yielded = std::exchange(own.yielded, nullptr);
  if (own.slot_goes_first()) {
    ++own.slot_streak;
    if (yielded != nullptr) push_queue(index, *yielded, /*front=*/false);
    return take_slot();
  }
  own.slot_streak = 0;
  if (yielded != nullptr) {
    if (own.queued.load() == 0 && own.slot == nullptr) return yielded;  // nobody to yield to here
    Process* next = nullptr;
    {
      std::lock_guard guard(own.mutex);
      if (!own.queue.empty()) {
        next = own.queue.front();
        own.queue.pop_front();
        own.queue.push_back(yielded);
      }
    }
    if (next != nullptr) {
      share_backlog();
      return next;
    }
    push_queue(index, *yielded, /*front=*/false);
  }
  auto take_from = [](Worker& worker, bool back) -> Process* {
    std::lock_guard guard(worker.mutex);
    if (worker.queue.empty()) return nullptr;
    Process* process;
    if (back) {
      process = worker.queue.back();
      worker.queue.pop_back();
    } else {
      process = worker.queue.front();
      worker.queue.pop_front();
    }
    worker.queued.fetch_sub(1);
    return process;
  };
  if (Process* process = take_from(own, false)) {
    share_backlog();
    return process;
  }
  if (own.slot != nullptr) return take_slot();
  for (std::size_t i = 1; i < workers_.size(); ++i) {
    // Steal the most recently queued work of another worker: its own oldest work stays local.
    if (Process* process = take_from(*workers_[(index + i) % workers_.size()], true)) {
      counters_.add(Counter::kSteals);
      if (idle_.load() > 0 && total_queued() > 0) wake_idle_worker();
      return process;
    }
  }
  return nullptr;
}

bool Scheduler::service_events(int timeout_ms) {
  ReadyEvents ready;
  if (reactor_.watched() > 0) ready = reactor_.wait(timeout_ms);
  return dispatch_events(ready);
}

bool Scheduler::dispatch_events(const ReadyEvents& ready) {
  bool fired = false;
  for (std::uint64_t id : ready.processes) {
    if (auto process = table_.find(id)) {
      process->wake_any();
      fired = true;
    }
  }
  for (const auto& [id, generation] : ready.waits) {
    if (auto process = table_.find(id)) {
      process->wake(generation);
      fired = true;
    }
  }
  if (!ready.empty() || reactor_.watched() > 0) {
    last_io_poll_ns_.store(to_ns(this->now()), std::memory_order_relaxed);
  }
  const auto now = this->now();
  // One worker at a time takes due timers and delivers them: two that each took a batch could
  // deliver the later one first (one thread descheduled between taking and sending), and
  // send_after's messages must arrive in deadline order. A worker that finds another at it
  // leaves the timers to it.
  std::unique_lock firing(timer_firing_, std::defer_lock);
  if (timers_.next_deadline_ns() <= to_ns(now) && firing.try_lock()) {
    Timers::Due due = timers_.take_due(now);
    for (const auto& wake : due.wakes) {
      if (auto process = table_.find(wake.process_id)) {
        process->wake(wake.generation);
        fired = true;
      }
    }
    for (auto& send : due.sends) {
      // A message to a process that died is dropped here, as Lunatic drops it.
      if (auto process = table_.find(send.target)) {
        fired = process->send(std::move(send.message)) != Process::Delivery::kDead || fired;
      }
    }
  }
  return fired;
}

bool Scheduler::timers_or_descriptors() const { return !timers_.empty() || reactor_.watched() > 0; }

bool Scheduler::events_may_be_due() const {
  return events_due_at(clock_.not_earlier_than_now_ns(clock_.state));
}

bool Scheduler::events_due(Clock::time_point now) const { return events_due_at(to_ns(now)); }

bool Scheduler::events_due_at(std::int64_t now_ns) const {
  if (timers_.next_deadline_ns() <= now_ns) return true;
  return reactor_.watched() > 0 &&
         now_ns - last_io_poll_ns_.load(std::memory_order_relaxed) > kIoPollInterval.count();
}

int Scheduler::idle_timeout_ms() {
  const std::int64_t next = timers_.next_deadline_ns();
  if (next == INT64_MAX) return -1;
  const std::int64_t wait_ns = next - to_ns(now());
  if (wait_ns <= 0) return 0;
  return static_cast<int>(std::min<std::int64_t>((wait_ns + 999'999) / 1'000'000, 60'000));
}

bool Scheduler::run_next(unsigned index) {
  Process* process = take_work(index);
  if (process == nullptr) return false;
  std::shared_ptr<Process> finished = process->run_slice();
  finished.reset();  // a finished process is destroyed here, off its own stack
  // Timers and readiness are checked between slices, so sleepers are not starved; without
  // any, no clock is read.
  if (timers_or_descriptors() && events_may_be_due() && events_due(now())) service_events(0);
  return true;
}

void Scheduler::worker_loop(unsigned index) {
  const AsWorker as_worker(index);
  const RuntimeCounters::Binding counting(counters_, index);
  engine::ensure_signal_stack();
  Worker& self = *workers_[index];
  if (self.started_ns.load(std::memory_order_relaxed) == 0) {
    self.started_ns.store(steady_ns(), std::memory_order_relaxed);
  }
  while (!stopping_.load(std::memory_order_relaxed)) {
    if (const auto epoch = release_epoch_.load(std::memory_order_relaxed);
        epoch != self.release_seen) [[unlikely]] {
      self.release_seen = epoch;
      release_free_memory();
    }
    if (run_next(index)) continue;
    if (service_events(0)) continue;
    const bool held = holds_.load() > 0;
    if (table_.size() == 0 && !held) break;
    const unsigned idle = idle_.fetch_add(1) + 1;
    const int timeout = idle_timeout_ms();
    if (idle == workers_.size() && timeout < 0 && reactor_.watched() == 0 && total_queued() == 0 &&
        !held) {
      // Every worker is idle, no timer or descriptor can wake anyone: nothing will ever run.
      idle_.fetch_sub(1);
      deadlocked_.store(true);
      stop();
      break;
    }
    // Sleep until a descriptor, a timer or new work; stop counting as idle before dispatching,
    // so no other worker mistakes a wake-up in progress for a deadlock.
    ReadyEvents ready;
    if (total_queued() == 0) {
      const std::int64_t fell_asleep = steady_ns();
      self.sleeping_since_ns.store(fell_asleep, std::memory_order_relaxed);
      ready = reactor_.wait(timeout);
      self.sleeping_since_ns.store(0, std::memory_order_relaxed);
      self.slept_ns.store(self.slept_ns.load(std::memory_order_relaxed) + steady_ns() - fell_asleep,
                          std::memory_order_relaxed);
    }
    wake_in_flight_.store(false);  // before looking for work: a later enqueue wakes again
    idle_.fetch_sub(1);
    dispatch_events(ready);
  }
  reactor_.notify();  // let the other workers see stopping_ or an empty table
}

bool Scheduler::run_one() {
  const AsWorker as_worker(0);
  const RuntimeCounters::Binding counting(counters_, 0);
  engine::ensure_signal_stack();
  if (run_next(0)) return true;
  return service_events(0) && run_next(0);
}

void Scheduler::hold() { holds_.fetch_add(1); }

void Scheduler::release_hold() {
  holds_.fetch_sub(1);
  reactor_.notify();  // idle workers look again: with no process and no hold, run() returns
}

void Scheduler::request_memory_release() {
  release_epoch_.fetch_add(1, std::memory_order_relaxed);
  reactor_.notify();  // an idle worker releases now, the others when they next wake or run
}

bool Scheduler::run() {
  std::vector<std::thread> threads;
  for (unsigned i = 1; i < workers_.size(); ++i)
    threads.emplace_back([this, i] { worker_loop(i); });
  worker_loop(0);
  stop();
  for (auto& thread : threads) thread.join();
  return !deadlocked_.load();
}

}  // namespace lunatic::runtime
