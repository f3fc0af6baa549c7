#include "cli/run_command.hpp"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "cli/dashboard_server.hpp"
#include "cli/diagnostics.hpp"
#include "cli/engine_options.hpp"
#include "cli/module_upgrader.hpp"
#include "cli/module_watch.hpp"
#include "cli/preopen_option.hpp"
#include "cli/prometheus_endpoint.hpp"
#include "cli/shutdown_signals.hpp"
#include "cli/trace_session.hpp"
#include "cli/upgrade_socket.hpp"
#include "common/file_io.hpp"
#include "engine/compile/native_compiler.hpp"
#include "engine/engine.hpp"
#include "engine/execution/instance.hpp"
#include "engine/memory/linear_memory.hpp"
#include "host/environment.hpp"
#include "host/host_imports.hpp"
#include "host/prometheus_text.hpp"
#include "host/runtime_limits.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::cli {
namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

// The main process has Lunatic's permissions: it may spawn, compile modules and create configs.
// Its WASI view stays explicit, unlike Lunatic's: argv[0] is the module path as given, the
// environment is only --env, and the directories are only --dir (Lunatic also inherits the
// host environment and preopens "."; see docs/abi.md).
Expected<host::ProcessConfig> main_config(const RunOptions& options) {
  host::ProcessConfig config;
  config.can_compile_modules = true;
  config.can_create_configs = true;
  config.can_spawn_processes = true;
  config.max_memory = engine::kMaxWasmPages * engine::kWasmPageSize;  // no limit below wasm32's
  config.args.push_back(options.module_path);
  config.args.insert(config.args.end(), options.args.begin(), options.args.end());
  for (const auto& entry : options.env) {
    const size_t eq = entry.find('=');
    if (eq == std::string::npos || eq == 0) {
      return make_error(Errc::kInvalidArgument, "--env expects KEY=VALUE, got \"" + entry + "\"");
    }
    // A later --env of the same name wins.
    const std::string key = entry.substr(0, eq);
    std::erase_if(config.env, [&](const auto& variable) { return variable.first == key; });
    config.env.emplace_back(key, entry.substr(eq + 1));
  }
  for (const auto& dir : options.dirs) {
    auto preopen = parse_preopen(dir);
    if (!preopen) return preopen.error();
    config.preopened_dirs.push_back(std::move(*preopen));
  }
  return config;
}

// Where SIGINT and SIGTERM of a traced `run` go: to the scheduler while it lives, which stops,
// so that the trace is still written.
class SignalStop {
 public:
  void on_signal(int number) {
    std::lock_guard guard(mutex_);
    signal_ = number;
    if (scheduler_ != nullptr) scheduler_->stop();
  }
  // The scheduler to stop from now on (nullptr: none, it is about to go).
  void attach(runtime::Scheduler* scheduler) {
    std::lock_guard guard(mutex_);
    scheduler_ = scheduler;
    if (scheduler_ != nullptr && signal_ != 0) scheduler_->stop();
  }
  int signal() const {
    std::lock_guard guard(mutex_);
    return signal_;
  }

 private:
  mutable std::mutex mutex_;
  runtime::Scheduler* scheduler_ = nullptr;
  int signal_ = 0;
};

}  // namespace

namespace {

// `run`, and `node` when `node` is set: with no module path, a node only serves its cluster.
// `stop` (a traced `run` only) is where SIGINT and SIGTERM go.
int run_runtime(const RunOptions& options, const NodeRuntime* node, SignalStop* stop) {
  const auto total_start = std::chrono::steady_clock::now();
  const bool has_main = !options.module_path.empty();
  auto config = main_config(options);
  if (!config) {
    print_error(config.error().message);
    return kExitRuntimeError;
  }
  // Opened first: a path it cannot write is an error before anything is compiled or run.
  std::unique_ptr<TraceSession> trace;
  if (!options.trace.path.empty()) {
    auto started = TraceSession::start(
        options.trace, node != nullptr ? "lunatic node" : "lunatic run " + options.module_path);
    if (!started) {
      print_error(started.error().message);
      return kExitRuntimeError;
    }
    trace = std::move(*started);
  }

  const engine::ImportTable& registry = host::host_imports();
  auto engine_options = cli::engine_options(options.memory_mode);
  if (!engine_options) {
    print_error(engine_options.error().message);
    return kExitRuntimeError;
  }
  engine::Engine engine(*engine_options, registry);
  engine::LoadReport report;
  std::shared_ptr<const engine::Module> module;
  std::string wasm;
  if (has_main) {
    auto loaded = engine.load_file(options.module_path, &report);
    for (const auto& warning : report.warnings) print_warning(warning);
    if (!loaded) {
      print_error(loaded.error());
      return kExitRuntimeError;
    }
    module = std::move(*loaded);
    const engine::ExportDescription* start = module->description().find_export("_start");
    if (start == nullptr || start->kind != engine::ExternKind::kFunction ||
        start->signature != "() -> ()") {
      print_error(options.module_path + ": no `_start` function of type () -> () is exported");
      return kExitRuntimeError;
    }
    if (node != nullptr) {
      // A node ships its module's bytes to the nodes it spawns on.
      auto bytes = read_file(options.module_path);
      if (!bytes) {
        print_error(bytes.error().message);
        return kExitRuntimeError;
      }
      wasm = std::move(*bytes);
    }
  }

  runtime::Scheduler scheduler(runtime::SchedulerOptions{
      .workers = options.workers != 0 ? options.workers
                                      : std::max(1u, std::thread::hardware_concurrency()),
      .first_process_id = node != nullptr ? node->first_process_id : 1});
  host::Environment environment(engine, scheduler, *host::parse_log_level(options.log_level),
                                host::runtime_limits(options.max_processes, options.max_memory));
  struct StopWhileAlive {
    SignalStop* stop;
    ~StopWhileAlive() {
      if (stop != nullptr) stop->attach(nullptr);
    }
  } stop_while_alive{stop};
  if (stop != nullptr) stop->attach(&scheduler);
  std::unique_ptr<PrometheusEndpoint> prometheus;
  if (!options.prometheus_address.empty()) {
    auto started = PrometheusEndpoint::start(
        options.prometheus_address, [&environment] { return host::prometheus_text(environment); });
    if (!started) {
      print_error(started.error().message);
      return kExitRuntimeError;
    }
    prometheus = std::move(*started);
    fmt::print(stderr, "lunatic: Prometheus metrics at {}\n", prometheus->url());
  }
  std::unique_ptr<DashboardServer> dashboard;
  if (!options.dashboard_address.empty()) {
    auto started = DashboardServer::start(
        environment,
        {.address = options.dashboard_address, .allow_kill = options.dashboard_allow_kill});
    if (!started) {
      print_error(started.error().message);
      return kExitRuntimeError;
    }
    dashboard = std::move(*started);
    if (module) {
      dashboard->name_module(module.get(),
                             std::filesystem::path(options.module_path).filename().string());
    }
    fmt::print(stderr, "lunatic: dashboard at {}\n", dashboard->url());
  }
  if (node != nullptr) {
    if (const Status attached = node->attach(environment, scheduler); !attached) {
      print_error(attached.error().message);
      if (node->detach) node->detach();
      return kExitRuntimeError;
    }
    if (module) environment.add_module_source(module, std::move(wasm));
  }

  host::ProcessExit main_exit;
  const engine::CallOutcome& main_outcome = main_exit.outcome;
  bool main_finished = false;
  if (has_main) {
    host::SpawnRequest request;
    request.module = module;
    request.config = std::make_shared<const host::ProcessConfig>(std::move(*config));
    request.function = "_start";
    request.on_exit = [&](const host::ProcessExit& exit) {
      main_exit = exit;
      main_finished = true;
      scheduler.stop();  // Lunatic's rule: the runtime ends with the main process
    };
    if (auto spawned = environment.spawn(std::move(request)); !spawned) {
      print_error(spawned.error().message);
      if (node != nullptr && node->detach) node->detach();
      return kExitRuntimeError;
    }
  }
  std::optional<ModuleUpgrader> upgrader;
  std::unique_ptr<UpgradeSocket> upgrade_socket;
  std::unique_ptr<ModuleWatch> watch;
  if (has_main && (!options.upgrade_socket.empty() || options.watch)) {
    upgrader.emplace(engine, environment, module);
    if (!options.upgrade_socket.empty()) {
      auto started = UpgradeSocket::start(options.upgrade_socket, *upgrader);
      if (!started) {
        print_error(started.error().message);
        return kExitRuntimeError;
      }
      upgrade_socket = std::move(*started);
    }
    if (options.watch) {
      auto started = ModuleWatch::start(options.module_path, *upgrader);
      if (!started) {
        print_error(started.error().message);
        return kExitRuntimeError;
      }
      watch = std::move(*started);
    }
  }
  const bool stopped = scheduler.run();
  if (node != nullptr && node->detach) node->detach();
  if (trace) trace->finish();

  int exit_code = 0;
  if (const int signal = stop != nullptr ? stop->signal() : 0; signal != 0) {
    print_error(fmt::format("stopped by signal {} ({})", signal, ::strsignal(signal)));
    exit_code = 128 + signal;
  } else if (!has_main) {
    exit_code = stopped ? 0 : kExitRuntimeError;
  } else if (!main_finished) {
    print_error(stopped ? "the runtime stopped before the main process ended"
                        : "deadlock: every process waits for a message, timer or descriptor that "
                          "nothing can provide");
    exit_code = kExitRuntimeError;
  } else if (main_outcome.kind == engine::TrapKind::kExit) {
    exit_code = static_cast<int>(main_outcome.exit_code);
  } else if (!main_outcome.ok()) {
    exit_code = kExitTrap;  // the environment logged why
  }
  std::fflush(stdout);
  if (options.timings) {
    nlohmann::json timings{
        {"cache", report.cache},      {"hash_ms", report.hash_ms},
        {"wait_ms", report.wait_ms},  {"compile_ms", report.compile_ms},
        {"load_ms", report.load_ms},  {"instantiate_ms", main_exit.instantiate_ms},
        {"run_ms", main_exit.run_ms}, {"total_ms", ms_since(total_start)}};
    fmt::print(stderr, "lunatic-timings: {}\n", timings.dump());
  }
#if !defined(__SANITIZE_ADDRESS__)
  // The runtime ends with the main process (Lunatic's rule). Processes still alive are left to
  // the OS, which takes their memory back at once: freeing a million of them one by one took
  // 1.8 s. Sanitized builds tear down, so that their leak check still sees everything.
  if (scheduler.process_count() > 0) {
    environment.cancel_compiles();
    engine::kill_running_compilers();  // a compile thread may be between spawn and its stop hook
    std::fflush(nullptr);
    std::_Exit(exit_code);
  }
#endif
  return exit_code;
}

}  // namespace

int run_command(const RunOptions& options) {
  // Only a traced run takes SIGINT and SIGTERM over; otherwise they end it as they always did.
  if (options.trace.path.empty()) return run_runtime(options, nullptr, nullptr);
  SignalStop stop;          // outlives the signals' thread, which calls it
  ShutdownSignals signals;  // before any thread starts: every thread inherits the blocked signals
  signals.start([&stop](int signal) { stop.on_signal(signal); });
  return run_runtime(options, nullptr, &stop);
}

int run_node_runtime(const RunOptions& options, const NodeRuntime& node) {
  return run_runtime(options, &node, nullptr);  // `node` handles the signals itself
}

}  // namespace lunatic::cli
