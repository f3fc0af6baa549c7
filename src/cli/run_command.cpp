#include "cli/run_command.hpp"

#include <chrono>
#include <cstdio>
#include <memory>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include "engine/engine.hpp"
#include "engine/instance.hpp"
#include "host/host_context.hpp"
#include "host/host_function.hpp"
#include "runtime/scheduler.hpp"
#include "wasi/wasi_context.hpp"

namespace lunatic::cli {
namespace {

double ms_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
}

Expected<wasi::WasiConfig> wasi_config(const RunOptions& options) {
  wasi::WasiConfig config;
  config.args.push_back(options.module_path);
  config.args.insert(config.args.end(), options.args.begin(), options.args.end());
  for (const auto& entry : options.env) {
    if (entry.find('=') == std::string::npos || entry.front() == '=') {
      return make_error(Errc::kInvalidArgument, "--env expects KEY=VALUE, got \"" + entry + "\"");
    }
    config.env.push_back(entry);
  }
  for (const auto& dir : options.dirs) {
    // HOST[:GUEST]; the guest name defaults to the host path, as in Lunatic and wasmtime.
    const size_t colon = dir.find(':');
    wasi::Preopen preopen;
    preopen.host_path = dir.substr(0, colon);
    preopen.guest_path = colon == std::string::npos ? dir : dir.substr(colon + 1);
    if (preopen.host_path.empty() || preopen.guest_path.empty()) {
      return make_error(Errc::kInvalidArgument, "--dir expects HOST[:GUEST], got \"" + dir + "\"");
    }
    config.preopens.push_back(std::move(preopen));
  }
  return config;
}

struct MainOutcome {
  engine::CallOutcome outcome;
  std::string setup_error;  // the process could not start at all
  double instantiate_ms = 0;
  double run_ms = 0;
};

}  // namespace

int run_command(const RunOptions& options) {
  const auto total_start = std::chrono::steady_clock::now();
  auto config = wasi_config(options);
  if (!config) {
    fmt::print(stderr, "lunatic: error: {}\n", config.error().message);
    return kExitRuntimeError;
  }

  const host::HostRegistry& registry = host::default_host_registry();
  engine::EngineOptions engine_options;
  engine_options.memory_mode = options.memory_mode;
  engine::Engine engine(engine_options, registry);
  engine::LoadReport report;
  auto module = engine.load_file(options.module_path, &report);
  for (const auto& warning : report.warnings) fmt::print(stderr, "lunatic: warning: {}\n", warning);
  if (!module) {
    fmt::print(stderr, "lunatic: error: {}: {}\n", errc_name(module.error().code), module.error().message);
    return kExitRuntimeError;
  }
  const engine::ExportDescription* start = (*module)->description().find_export("_start");
  if (start == nullptr || start->kind != engine::ExternKind::kFunction ||
      start->signature != "() -> ()") {
    fmt::print(stderr, "lunatic: error: {}: no `_start` function of type () -> () is exported\n",
               options.module_path);
    return kExitRuntimeError;
  }
  auto wasi_context = wasi::WasiContext::create(*config);
  if (!wasi_context) {
    fmt::print(stderr, "lunatic: error: {}\n", wasi_context.error().message);
    return kExitRuntimeError;
  }

  MainOutcome main;
  runtime::Scheduler scheduler;
  scheduler.spawn([&](runtime::Process& process) {
    host::HostContext context;
    context.blocking = &process;
    context.wasi = wasi_context->get();
    auto phase = std::chrono::steady_clock::now();
    auto variant = (*module)->variant_for_new_instance();
    auto instance = engine::Instance::create(variant, &context, &process.execution(), {});
    if (!instance) {
      main.setup_error = instance.error().message;
      return;
    }
    context.instance = instance->get();
    main.outcome = (*instance)->instantiate();
    main.instantiate_ms = ms_since(phase);
    if (main.outcome.ok()) {
      phase = std::chrono::steady_clock::now();
      main.outcome = (*instance)->call(*variant->find_export("_start"), {}, {});
      main.run_ms = ms_since(phase);
    }
  });
  scheduler.run();

  int exit_code = 0;
  if (!main.setup_error.empty()) {
    fmt::print(stderr, "lunatic: error: {}\n", main.setup_error);
    exit_code = kExitRuntimeError;
  } else if (main.outcome.kind == engine::TrapKind::kExit) {
    exit_code = static_cast<int>(main.outcome.exit_code);
  } else if (!main.outcome.ok()) {
    fmt::print(stderr, "lunatic: process 1 failed: trap: {}\n", main.outcome.describe());
    exit_code = kExitTrap;
  }
  std::fflush(stdout);
  if (options.timings) {
    nlohmann::json timings{{"cache", report.cache},         {"hash_ms", report.hash_ms},
                           {"compile_ms", report.compile_ms}, {"load_ms", report.load_ms},
                           {"instantiate_ms", main.instantiate_ms}, {"run_ms", main.run_ms},
                           {"total_ms", ms_since(total_start)}};
    fmt::print(stderr, "lunatic-timings: {}\n", timings.dump());
  }
  return exit_code;
}

}  // namespace lunatic::cli
