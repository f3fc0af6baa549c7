#include "host/environment.hpp"

#include <fmt/core.h>

#include <chrono>
#include <cstdio>

#include "engine/engine.hpp"
#include "engine/loaded_module.hpp"
#include "host/host_context.hpp"
#include "runtime/scheduler.hpp"
#include "host/output_capture.hpp"

namespace lunatic::host {

std::optional<LogLevel> parse_log_level(std::string_view text) {
  if (text == "off") return LogLevel::kOff;
  if (text == "error") return LogLevel::kError;
  if (text == "warn") return LogLevel::kWarn;
  if (text == "info") return LogLevel::kInfo;
  if (text == "debug") return LogLevel::kDebug;
  return std::nullopt;
}

Environment::Environment(engine::Engine& engine, runtime::Scheduler& scheduler, LogLevel log_level)
    : engine_(engine), scheduler_(scheduler), log_level_(log_level) {}

void Environment::log(LogLevel level, const std::string& line) const {
  if (level == LogLevel::kOff || level > log_level_) return;
  // One write per line, so lines of processes on different workers do not interleave.
  std::string text = "lunatic: " + line + "\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
}

Expected<std::shared_ptr<const engine::Module>> Environment::compile(std::string_view wasm) {
  std::lock_guard guard(engine_mutex_);
  engine::LoadReport report;
  auto module = engine_.load_wasm(wasm, "guest-module", &report);
  if (!module) return module.error();
  return std::shared_ptr<const engine::Module>(std::move(*module));
}

std::uint64_t Environment::module_id(const std::shared_ptr<const engine::Module>& module) {
  std::lock_guard guard(modules_mutex_);
  auto [it, inserted] = module_ids_.emplace(module.get(), module_ids_.size() + 1);
  if (inserted) modules_by_id_.emplace(it->second, module);
  return it->second;
}

std::shared_ptr<const engine::Module> Environment::module_by_id(std::uint64_t id) {
  std::lock_guard guard(modules_mutex_);
  auto it = modules_by_id_.find(id);
  return it == modules_by_id_.end() ? nullptr : it->second;
}

Expected<std::uint64_t> Environment::spawn(SpawnRequest request) {
  // Lunatic instantiates inside spawn, so a memory the config cannot hold is spawn's error,
  // not the child's death; the one instantiation failure knowable up front is checked here.
  if (const auto& memory = request.module->description().memory) {
    const std::uint64_t initial_bytes = memory->initial_pages * 65536;
    if (initial_bytes > request.config->max_memory) {
      return make_error(Errc::kInstantiateFailed,
                        fmt::format("the module's memory starts at {} bytes, over the config's "
                                    "max_memory of {} bytes",
                                    initial_bytes, request.config->max_memory));
    }
  }
  auto shared = std::make_shared<SpawnRequest>(std::move(request));
  auto process = scheduler_.create(
      [this, shared](runtime::Process& self) { run_process(*shared, self); });
  if (!process) return make_error(Errc::kIo, "cannot allocate a stack for a new process");
  if (shared->link_tag != 0 && shared->parent != 0) {
    // Linked before the child can run, so no failure of either goes unnoticed (Lunatic's
    // guarantee): the parent hears the tag when the child dies, the child hears no tag.
    if (auto parent = scheduler_.find(shared->parent)) parent->add_link(process->id(), 0);
    process->add_link(shared->parent, shared->link_tag);
  }
  scheduler_.start(process);
  return process->id();
}

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The wasm type list of an export's parameters: "(i32 i64) -> ()" gives "i32 i64".
std::string_view parameter_types(std::string_view signature) {
  const std::size_t close = signature.find(')');
  return signature.substr(1, close == std::string_view::npos ? 0 : close - 1);
}

}  // namespace

void Environment::run_process(SpawnRequest& request, runtime::Process& process) {
  ProcessExit exit;
  engine::CallOutcome& outcome = exit.outcome;
  {
    HostContext context;
    context.process = &process;
    context.blocking = &process;
    context.environment = this;
    context.config = request.config;
    context.module = request.module;
    context.output = request.output;

    engine::InstanceLimits limits;
    limits.max_memory_bytes = request.config->max_memory;
    limits.max_fuel = request.config->max_fuel * kFuelUnit;
    auto instance = engine::Instance::create(request.module->variant_for_new_instance(), &context,
                                             &process.execution(), limits);
    if (!instance) {
      outcome.kind = engine::TrapKind::kHostError;
      outcome.message = instance.error().message;
    } else {
      context.instance = instance->get();
      try {
        process.check_killed();  // killed before it ever ran
        // Timed for on_exit's report only: the clock costs every short-lived process otherwise.
        const auto start = request.on_exit ? Clock::now() : Clock::time_point{};
        outcome = (*instance)->instantiate();
        if (request.on_exit) exit.instantiate_ms = ms_since(start);
      } catch (const engine::GuestTrap& trap) {
        outcome.kind = trap.kind;
        outcome.message = trap.message;
      }
      if (outcome.ok()) {
        context.initialized = true;
        const lunatic_export_t* entry = (*instance)->module().find_export(request.function);
        if (entry == nullptr || entry->invoke == nullptr) {
          outcome.kind = engine::TrapKind::kHostError;
          outcome.message = fmt::format("function '{}' not found", request.function);
        } else if (parameter_types(entry->signature) != request.param_types) {
          outcome.kind = engine::TrapKind::kHostError;
          outcome.message = fmt::format("function '{}' has type {}, but was spawned with ({})",
                                        request.function, entry->signature, request.param_types);
        } else {
          // Results are discarded; Instance::call refuses a function with more than fit here.
          std::uint64_t results[16] = {};
          const auto start = request.on_exit ? Clock::now() : Clock::time_point{};
          outcome = (*instance)->call(*entry, request.params, results);
          if (request.on_exit) exit.run_ms = ms_since(start);
        }
      }
    }
  }  // the instance and every resource of the process are gone here

  const bool normal = outcome.ok() || (outcome.kind == engine::TrapKind::kExit && outcome.exit_code == 0);
  process.set_death(normal ? runtime::DeathReason::kNormal : runtime::DeathReason::kFailure);
  if (outcome.kind == engine::TrapKind::kKilled) {
    log(LogLevel::kWarn, fmt::format("process {} was killed: {}", process.id(), outcome.message));
  } else if (outcome.kind == engine::TrapKind::kExit && outcome.exit_code != 0) {
    // Lunatic counts only proc_exit(0) as a normal end; any other code is a failure.
    log(LogLevel::kWarn, fmt::format("process {} failed: exited with code {}", process.id(), outcome.exit_code));
  } else if (!normal) {
    log(LogLevel::kWarn, fmt::format("process {} failed: trap: {}", process.id(), outcome.describe()));
  }
  if (request.on_exit) request.on_exit(exit);
}

}  // namespace lunatic::host
