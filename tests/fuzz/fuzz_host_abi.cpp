// Fuzz target: the host ABI, through the path a guest takes.
//
// At start-up a driver module that imports every function of the default host registry is
// generated (host_abi_driver.hpp) and compiled once by the real engine. Each input becomes a
// script of calls with fuzzer-chosen arguments and guest memory contents; the driver runs it
// in a main process spawned as `lunatic run` spawns one (a fresh Scheduler and Environment per
// input), so every call goes generated code -> thunk -> host function -> return or trap.
//
// The process may spawn, create configs and compile modules, but its network access is denied
// (and so is every config it makes), it has no preopened directory (and the driver gives
// config_preopen_dir only a directory that does not exist), its output is captured in memory,
// and its stdin is /dev/null. Host names are resolved as numeric only (getaddrinfo below), so
// no input makes a DNS query. Compiling a guest's module runs every step up to the C compiler,
// which is /bin/false here.
//
// A trap or exit of the guest is an expected outcome. When the main process ends, or after
// kDeadline (a wait the driver cannot clamp, such as poll_oneoff's), every process left is
// killed and the input ends when none is left: nothing is abandoned, so LeakSanitizer sees
// everything. A crash, a sanitizer report, a hang past libFuzzer's -timeout, a leak, or a
// process that outlives its input is a finding.
//
// Environment: LUNATIC_FUZZ_WORKERS (scheduler workers, default 1: inputs replay alike),
// LUNATIC_FUZZ_VERBOSE=1 (print each input's outcome and output), LUNATIC_FUZZ_WAT=<file>
// (write the driver's text there).
#include <dlfcn.h>
#include <fcntl.h>
#include <netdb.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/engine.hpp"
#include "host/environment.hpp"
#include "host/host_imports.hpp"
#include "host/output_capture.hpp"
#include "host_abi_driver.hpp"
#include "runtime/message.hpp"
#include "runtime/scheduler.hpp"
#include "support/wat.hpp"

// Numeric host names only: the runtime's resolver threads call this, and no fuzz input may
// send a query to a name server. It takes the place of libc's (and the sanitizer's) definition
// in this executable.
extern "C" int getaddrinfo(const char* node, const char* service, const struct addrinfo* hints,
                           struct addrinfo** result) {
  using Real = int (*)(const char*, const char*, const struct addrinfo*, struct addrinfo**);
  static const Real real = reinterpret_cast<Real>(::dlsym(RTLD_NEXT, "getaddrinfo"));
  struct addrinfo numeric {};
  if (hints != nullptr) numeric = *hints;
  numeric.ai_flags |= AI_NUMERICHOST;
  return real(node, service, &numeric, result);
}

namespace {

using namespace lunatic;
using Clock = std::chrono::steady_clock;

constexpr auto kDeadline = std::chrono::milliseconds(100);

unsigned env_unsigned(const char* name, unsigned fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0'
             ? static_cast<unsigned>(std::strtoul(value, nullptr, 10))
             : fallback;
}

// Kills every process of the scheduler it is armed with once the main process has ended or
// the deadline has passed, again every millisecond until disarmed. One thread for the whole
// run: a thread per input would cost more than most inputs.
class Reaper {
 public:
  Reaper() : thread_([this] { loop(); }) {}
  ~Reaper() {
    {
      std::lock_guard lock(mutex_);
      quit_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

  void arm(runtime::Scheduler& scheduler, Clock::time_point deadline) {
    std::lock_guard lock(mutex_);
    scheduler_ = &scheduler;
    deadline_ = deadline;
    main_ended_ = false;
    scan_limit_ = 64;
    changed_.notify_all();
  }
  void main_ended() {
    std::lock_guard lock(mutex_);
    main_ended_ = true;
    changed_.notify_all();
  }
  // Returns once the reaper no longer touches the scheduler.
  void disarm() {
    std::unique_lock lock(mutex_);
    scheduler_ = nullptr;
    changed_.notify_all();
    idle_.wait(lock, [&] { return !busy_; });
  }
  unsigned deadlines_hit() const { return deadlines_hit_.load(); }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!quit_) {
      if (scheduler_ == nullptr) {
        changed_.wait(lock);
        continue;
      }
      if (!main_ended_ && Clock::now() < deadline_) {
        changed_.wait_until(lock, deadline_);
        continue;
      }
      if (!main_ended_) {
        ++deadlines_hit_;
        main_ended_ = true;  // counted once; from here on the same as an ended main
      }
      runtime::Scheduler& scheduler = *scheduler_;
      busy_ = true;
      lock.unlock();
      kill_all(scheduler);
      lock.lock();
      busy_ = false;
      idle_.notify_all();
      if (scheduler_ != nullptr) changed_.wait_for(lock, std::chrono::milliseconds(1));
    }
  }

  // Process ids are handed out from 1 upwards by each scheduler; a scan that finds processes
  // near its limit, or none while some are alive, looks further.
  void kill_all(runtime::Scheduler& scheduler) {
    for (;;) {
      std::uint64_t highest = 0;
      for (std::uint64_t id = 1; id <= scan_limit_; ++id) {
        if (auto process = scheduler.find(id)) {
          process->kill("the fuzz input is over");
          highest = id;
        }
      }
      const bool look_further =
          highest * 2 > scan_limit_ || (highest == 0 && scheduler.process_count() > 0);
      if (!look_further || scan_limit_ >= (std::uint64_t{1} << 24)) return;
      scan_limit_ *= 2;
    }
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::condition_variable idle_;
  runtime::Scheduler* scheduler_ = nullptr;
  Clock::time_point deadline_;
  bool main_ended_ = false;
  bool busy_ = false;
  bool quit_ = false;
  std::uint64_t scan_limit_ = 64;
  std::atomic<unsigned> deadlines_hit_{0};
  std::thread thread_;
};

struct Harness {
  std::filesystem::path cache_root;
  std::unique_ptr<engine::Engine> engine;
  std::vector<fuzz::DriverFunction> functions;
  std::shared_ptr<const engine::Module> driver;
  std::shared_ptr<const host::ProcessConfig> config;
  unsigned workers = 1;
  bool verbose = false;
  Reaper reaper;
  std::uint64_t inputs = 0;
};

Harness* harness = nullptr;

void remove_cache() {
  std::error_code ignored;
  if (harness != nullptr) std::filesystem::remove_all(harness->cache_root, ignored);
}

[[noreturn]] void die(const std::string& why) {
  std::fprintf(stderr, "fuzz_host_abi: %s\n", why.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  // Nothing a guest does may read the terminal or the fuzzer's own input.
  if (int null = ::open("/dev/null", O_RDONLY); null >= 0) {
    ::dup2(null, 0);
    if (null != 0) ::close(null);
  }
  harness = new Harness;
  std::string pattern = (std::filesystem::temp_directory_path() / "lunatic-fuzz-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) die("cannot make a cache directory");
  harness->cache_root = pattern;
  std::atexit(remove_cache);

  const engine::ImportTable& registry = host::host_imports();
  engine::EngineOptions options;
  options.cache_root = harness->cache_root;
  options.show_progress = false;
  harness->engine = std::make_unique<engine::Engine>(options, registry);
  std::string wat;
  std::string wasm;
  try {
    harness->functions = fuzz::driver_functions(registry);
    wat = fuzz::driver_wat(harness->functions);
    if (const char* path = std::getenv("LUNATIC_FUZZ_WAT")) std::ofstream(path) << wat;
    wasm = testing::wat_to_wasm(wat);
  } catch (const std::exception& error) {
    die(std::string("cannot make the driver: ") + error.what());
  }
  const auto start = Clock::now();
  auto driver = harness->engine->load_wasm(wasm, "fuzz-driver.wasm", nullptr);
  if (!driver) die("cannot compile the driver: " + driver.error().message);
  harness->driver = *driver;
  std::fprintf(stderr, "fuzz_host_abi: driver of %zu host functions compiled in %.1f s\n",
               harness->functions.size(),
               std::chrono::duration<double>(Clock::now() - start).count());
  // From here on a guest's compile_module runs the engine up to the C compiler, which fails.
  ::setenv("CC", "/bin/false", 1);
  // tls_connect without certificates loads the system's CA bundle for every call, which takes
  // 20 ms here and 100 under ASan (docs/fuzzing.md): the fuzzer gets an empty one.
  ::setenv("SSL_CERT_FILE", "/dev/null", 1);
  ::setenv("SSL_CERT_DIR", "/nonexistent", 1);

  auto config = std::make_shared<host::ProcessConfig>();
  config->max_memory = 64 << 20;
  config->can_spawn_processes = true;
  config->can_create_configs = true;
  config->can_compile_modules = true;
  config->args = {"fuzz", "--flag"};
  config->env = {{"LUNATIC_FUZZ", "1"}};
  config->network.deny_all();
  harness->config = std::move(config);
  harness->workers = std::max(1u, env_unsigned("LUNATIC_FUZZ_WORKERS", 1));
  harness->verbose = env_unsigned("LUNATIC_FUZZ_VERBOSE", 0) != 0;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Harness& h = *harness;
  ++h.inputs;
  auto message = std::make_unique<runtime::Message>();
  const std::string script = fuzz::script_from_input({data, size}, h.functions);
  message->data.assign(script.begin(), script.end());

  auto output = host::OutputCapture::create();
  if (!output) die(output.error().message);
  runtime::Scheduler scheduler(h.workers);
  host::Environment environment(*h.engine, scheduler,
                                h.verbose ? host::LogLevel::kWarn : host::LogLevel::kOff);

  engine::CallOutcome main_outcome;
  host::SpawnRequest request;
  request.module = h.driver;
  request.config = h.config;
  request.function = "main";
  request.output = *output;
  request.on_exit = [&](const host::ProcessExit& exit) {
    main_outcome = exit.outcome;
    h.reaper.main_ended();  // the runtime ends with the main process
  };
  auto id = environment.spawn(std::move(request));
  if (!id) die("cannot spawn the main process: " + id.error().message);
  if (auto main = scheduler.find(*id)) main->send(std::move(message));
  // A pending timer keeps run() from calling it a deadlock while the reaper decides.
  scheduler.send_after(Clock::now() + std::chrono::minutes(10), 0, 0,
                       std::make_unique<runtime::Message>());

  const auto start = Clock::now();
  h.reaper.arm(scheduler, start + kDeadline);
  const bool stopped = scheduler.run();
  h.reaper.disarm();
  if (!stopped || scheduler.process_count() != 0) {
    die("the scheduler returned with " + std::to_string(scheduler.process_count()) +
        " processes alive (" + (stopped ? "stopped" : "deadlock") + ")");
  }
  if (h.verbose) {
    std::string calls;
    std::uint32_t image = 0;
    std::memcpy(&image, script.data(), 4);
    for (std::size_t at = 4 + image; at + fuzz::kRecordSize <= script.size();
         at += fuzz::kRecordSize) {
      std::uint32_t index = 0;
      std::memcpy(&index, script.data() + at, 4);
      calls += (calls.empty() ? "" : " ") + h.functions[index].host->name;
    }
    std::fprintf(stderr, "fuzz_host_abi: calls: %s\n", calls.c_str());
    std::fprintf(stderr,
                 "fuzz_host_abi: input %llu (%.1f ms): main %s; deadlines hit so far %u\n%s",
                 static_cast<unsigned long long>(h.inputs),
                 std::chrono::duration<double, std::milli>(Clock::now() - start).count(),
                 main_outcome.ok() ? "returned" : main_outcome.describe().c_str(),
                 h.reaper.deadlines_hit(), (*output)->read().c_str());
  }
  return 0;
}
