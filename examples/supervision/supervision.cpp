// A supervision tree whose workers crash and are restarted; `make demo` runs it. It tells its
// story on stdout: the tree starts, a job crashes a worker, the supervisor restarts it and the
// work carries on; then a worker crashes faster than the restart intensity allows and the
// supervisor gives up; last, a fan-out over many short-lived processes. The figures at the end
// are this program's own counts.
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <lunatic/lunatic.hpp>
#include <string>

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

constexpr int kWorkers = 3;
constexpr int kJobs = 12;
constexpr int kPoisonedJob = 5;
constexpr int kFanOut = 10000;

struct Job {
  int id;
  std::int64_t n;
  bool poisoned;  // makes the worker divide by zero: a bug, as it would be in real code
};

// Sums the Collatz sequence lengths of 1..n: a little real work per job.
std::int64_t collatz_work(std::int64_t n) {
  std::int64_t total = 0;
  for (std::int64_t i = 1; i <= n; ++i) {
    for (std::int64_t x = i; x != 1; x = (x % 2 == 0) ? x / 2 : 3 * x + 1) ++total;
  }
  return total;
}

struct Worker {
  using Arg = int;
  using Request = Job;
  using Response = std::int64_t;

  static Worker init(int index) { return Worker{index}; }

  // Not inlined, so the runtime's trap log names this function.
  __attribute__((noinline)) std::int64_t handle_request(const Job& job) {
    if (job.poisoned) {
      volatile std::int64_t zero = 0;
      return job.n / zero;  // wasm's i64.div_s traps: this process dies, nothing else does
    }
    return collatz_work(job.n);
  }

  int index;
};

std::string worker_name(int index) { return "worker-" + std::to_string(index); }

struct TreeSpec {
  int workers;
  int max_restarts;
  std::int64_t period_ms;
};

void tree(TreeSpec spec, lunatic::Mailbox<lunatic::SupervisorRequest> mailbox) {
  lunatic::Supervisor supervisor(
      lunatic::Strategy::kOneForOne,
      {.max_restarts = spec.max_restarts, .period = lunatic::Milliseconds(spec.period_ms)});
  for (int i = 0; i < spec.workers; ++i) {
    supervisor.add_child(
        worker_name(i), [i] { return lunatic::start_server<Worker>(i, {.name = worker_name(i)}); });
  }
  supervisor.run(mailbox);
}

struct Slice {
  std::int64_t from;
  std::int64_t to;
  lunatic::Process<std::int64_t> reply_to;
};

void sum_squares(Slice slice, lunatic::Mailbox<int>) {
  std::int64_t sum = 0;
  for (std::int64_t i = slice.from; i < slice.to; ++i) sum += i * i;
  slice.reply_to.send(sum);
}

bool worker_alive(int index) {
  auto server = lunatic::ServerRef<Worker>::lookup(worker_name(index));
  return server && server->alive();
}

struct Figures {
  int processes_spawned = 0;
  int messages_sent = 0;
};

// Sends `job` to the worker registered as `name`; on a crash, waits for its restart and resends.
std::int64_t run_job(const Job& job, int worker, Figures& figures) {
  for (;;) {
    auto server = lunatic::ServerRef<Worker>::lookup(worker_name(worker));
    if (!server || !server->alive()) {
      lunatic::sleep(1ms);  // the supervisor is restarting it
      continue;
    }
    figures.messages_sent += 2;  // the request and its reply
    auto result = server->request(job, 500ms);
    if (result) return *result;
    std::printf("   job %2d: %s crashed (%s)\n", job.id, worker_name(worker).c_str(),
                result.error().message.c_str());
    std::printf("           the supervisor restarts it; the job goes to the new %s\n",
                worker_name(worker).c_str());
    Job retry = job;
    retry.poisoned = false;
    return run_job(retry, worker, figures);
  }
}

}  // namespace

int main() {
  const auto started = Clock::now();
  Figures figures;

  std::printf("== 1. a supervisor with %d workers (one-for-one, at most 3 restarts in 2 s)\n",
              kWorkers);
  auto supervisor = lunatic::spawn(&tree, TreeSpec{kWorkers, 3, 2000}).value();
  figures.processes_spawned += 1;
  auto children = lunatic::supervisor_children(supervisor, 1s).value();
  figures.messages_sent += 2;
  figures.processes_spawned += static_cast<int>(children.size());
  for (const auto& child : children) {
    std::printf("   %s is process %llu\n", child.name.c_str(),
                static_cast<unsigned long long>(child.process.value));
  }

  std::printf("== 2. %d jobs, round robin; job %d carries a bug\n", kJobs, kPoisonedJob);
  std::int64_t checksum = 0;
  for (int id = 0; id < kJobs; ++id) {
    const Job job{id, 2000 + 100 * id, id == kPoisonedJob};
    const std::int64_t result = run_job(job, id % kWorkers, figures);
    checksum += result;
    std::printf("   job %2d: %s -> %lld\n", id, worker_name(id % kWorkers).c_str(),
                static_cast<long long>(result));
  }
  children = lunatic::supervisor_children(supervisor, 1s).value();
  figures.messages_sent += 2;
  int restarts = 0;
  for (const auto& child : children) {
    restarts += child.restarts;
    std::printf("   %s: process %llu, restarted %d time(s)\n", child.name.c_str(),
                static_cast<unsigned long long>(child.process.value), child.restarts);
  }
  figures.processes_spawned += restarts;
  std::printf("   all %d jobs done, checksum %lld: the system carried on\n", kJobs,
              static_cast<long long>(checksum));

  std::printf(
      "== 3. worker-0 crashes again and again: past 3 restarts in 2 s the supervisor gives up\n");
  supervisor.monitor();
  lunatic::Mailbox<std::int64_t> mailbox;
  int crashes = 0;
  while (supervisor.alive()) {
    auto server = lunatic::ServerRef<Worker>::lookup(worker_name(0));
    if (!server || !server->alive()) {
      lunatic::sleep(1ms);  // being restarted, or the tree is going down
      continue;
    }
    ++crashes;
    std::printf("   crash %d: poisoning %s (process %llu)\n", crashes, worker_name(0).c_str(),
                static_cast<unsigned long long>(server->id().value));
    figures.messages_sent += 1;
    (void)server->request(Job{100 + crashes, 1, true}, 50ms);
  }
  figures.processes_spawned += crashes - 1;  // every crash but the last was restarted
  auto event = mailbox.receive_event(2s).value();
  if (auto* died = std::get_if<lunatic::ProcessDied>(&event)) {
    std::printf("   the supervisor (process %llu) has died, and took its workers with it: %s\n",
                static_cast<unsigned long long>(died->process.value),
                worker_alive(1) ? "no" : "yes");
  }

  std::printf("== 4. fan-out: %d processes each sum the squares of a slice\n", kFanOut);
  const auto fan_started = Clock::now();
  lunatic::Process<std::int64_t> me(lunatic::this_process_id());
  constexpr std::int64_t kSlice = 100;
  for (int i = 0; i < kFanOut; ++i) {
    lunatic::spawn(&sum_squares, Slice{i * kSlice, (i + 1) * kSlice, me}).value();
  }
  std::int64_t total = 0;
  for (int i = 0; i < kFanOut; ++i) total += mailbox.receive(5s).value();
  figures.processes_spawned += kFanOut;
  figures.messages_sent += 2 * kFanOut;  // each argument and each result
  const std::int64_t n = kFanOut * kSlice;
  const std::int64_t expected = (n - 1) * n * (2 * n - 1) / 6;
  const auto fan_us =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - fan_started);
  std::printf("   sum = %lld (expected %lld: %s) in %.1f ms\n", static_cast<long long>(total),
              static_cast<long long>(expected), total == expected ? "correct" : "WRONG",
              fan_us.count() / 1000.0);

  const auto elapsed =
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - started);
  std::printf("== figures (this program's own counts)\n");
  std::printf("   processes spawned: %d\n", figures.processes_spawned);
  std::printf("   messages sent:     %d\n", figures.messages_sent);
  std::printf("   time taken:        %.1f ms\n", elapsed.count() / 1000.0);
  return total == expected ? 0 : 1;
}
