#include "host/environment.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

#include "common/bounded_text.hpp"
#include "common/byte_size.hpp"
#include "engine/compile/artifact.hpp"
#include "engine/compile/compile_queue.hpp"
#include "engine/engine.hpp"
#include "engine/loaded_module.hpp"
#include "host/code_change.hpp"
#include "host/distributed_node.hpp"
#include "host/host_context.hpp"
#include "host/output_capture.hpp"
#include "runtime/blocking.hpp"
#include "runtime/scheduler.hpp"
#include "runtime/trace_recorder.hpp"

namespace lunatic::host {

std::optional<LogLevel> parse_log_level(std::string_view text) {
  if (text == "off") return LogLevel::kOff;
  if (text == "error") return LogLevel::kError;
  if (text == "warn") return LogLevel::kWarn;
  if (text == "info") return LogLevel::kInfo;
  if (text == "debug") return LogLevel::kDebug;
  return std::nullopt;
}

Environment::Environment(engine::Engine& engine, runtime::Scheduler& scheduler, LogLevel log_level,
                         BudgetLimits limits)
    : engine_(engine),
      scheduler_(scheduler),
      log_level_(log_level),
      budget_(ResourceBudget::root(limits, "the runtime")) {}

void Environment::log(LogLevel level, const std::string& line) const {
  if (level == LogLevel::kOff || level > log_level_) return;
  // One write per line, so lines of processes on different workers do not interleave.
  std::string text = "lunatic: " + log_text(line) + "\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
}

Environment::~Environment() = default;

Expected<std::shared_ptr<const engine::Module>> Environment::compile(std::string wasm,
                                                                     runtime::Blocking& waiter) {
  engine::CompileQueue* queue;
  {
    std::lock_guard guard(compile_queue_mutex_);
    if (!compile_queue_) {
      compile_queue_ = std::make_unique<engine::CompileQueue>(engine_, compiler_memory());
    }
    queue = compile_queue_.get();
  }
  std::string source = keep_sources_ ? wasm : std::string();
  auto submitted = queue->submit(std::move(wasm), "guest-module");
  if (!submitted) return submitted.error();
  // Whatever ends this wait (a kill unwinds through here), the compile ends with it.
  struct CancelUnlessDone {
    engine::QueuedCompile& job;
    ~CancelUnlessDone() {
      if (!job.done()) job.cancel();
    }
  } cancel_unless_done{**submitted};
  const runtime::FdInterest interest{(*submitted)->ready_fd(), /*read=*/true, /*write=*/false};
  runtime::FdReadiness readiness;
  while (!(*submitted)->done()) waiter.wait_fds({&interest, 1}, {&readiness, 1}, std::nullopt);
  auto result = (*submitted)->result();
  if (result && keep_sources_) add_module_source(*result, std::move(source));
  return result;
}

void Environment::add_module_source(const std::shared_ptr<const engine::Module>& module,
                                    std::string wasm) {
  const std::string hash =
      engine::sha256_hex({reinterpret_cast<const std::uint8_t*>(wasm.data()), wasm.size()});
  // The bytes are keyed by the module's address: an id keeps the module alive as long as
  // them, so no later module can come to live at that address and find them.
  module_id(module);
  std::lock_guard guard(modules_mutex_);
  sources_.insert_or_assign(
      module.get(), ModuleSource{hash, std::make_shared<const std::string>(std::move(wasm))});
}

std::optional<Environment::ModuleSource> Environment::module_source(const engine::Module& module) {
  std::lock_guard guard(modules_mutex_);
  const auto found = sources_.find(&module);
  if (found == sources_.end()) return std::nullopt;
  return found->second;
}

std::uint64_t Environment::compiler_memory() const {
  // A C compiler's memory is the guests' doing too: a quarter of the runtime's guest memory,
  // between 128 MiB (small modules need 30-60) and 1 GiB (a 600 KB module needed 350 MB).
  constexpr std::uint64_t kFloor = std::uint64_t{128} << 20;
  constexpr std::uint64_t kCeiling = std::uint64_t{1} << 30;
  const std::uint64_t quarter = budget_->limits().max_memory_bytes / 4;
  if (budget_->limits().max_memory_bytes == 0) return kCeiling;
  return std::clamp(quarter, kFloor, kCeiling);
}

void Environment::cancel_compiles() {
  std::lock_guard guard(compile_queue_mutex_);
  if (compile_queue_) compile_queue_->cancel_all();
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
    const std::uint64_t memory_bytes = memory->initial_pages * 65536;
    if (memory_bytes > request.config->max_memory) {
      return make_error(Errc::kInstantiateFailed,
                        fmt::format("the module's memory starts at {} bytes, over the config's "
                                    "max_memory of {} bytes",
                                    memory_bytes, request.config->max_memory));
    }
  }
  // What the child holds before its code runs: its memory and tables at their initial sizes,
  // its fiber stack, which its recursion can fill (guest frames live there), and its config.
  const std::uint64_t initial_bytes = request.module->description().initial_guest_bytes();
  // Held for the child's whole life: its stack and its config's strings (its own copy).
  const std::uint64_t life_bytes = scheduler_.stacks().usable_size() + request.config->held_bytes();
  // The child is counted, and its initial memory charged, before it exists: a spawn past a
  // limit is refused here, and no process is ever made only to be killed for it.
  if (request.budget == nullptr) request.budget = budget_;
  if (request.own_limits.any()) {
    auto nested = ResourceBudget::nested(request.budget, request.own_limits, "its config");
    if (!nested) return make_error(Errc::kLimitReached, "cannot spawn: " + nested.error().message);
    request.budget = std::move(*nested);
  }
  ResourceBudget& budget = *request.budget;
  if (auto counted = budget.add_process(request.spawner_privilege); !counted) {
    return make_error(Errc::kLimitReached, "cannot spawn: " + counted.error().message);
  }
  if (auto charged = budget.charge_memory(initial_bytes + life_bytes, request.spawner_privilege);
      !charged) {
    budget.remove_process();
    return make_error(
        Errc::kLimitReached,
        fmt::format("cannot spawn: its initial memory, tables, stack and config of {}: {}",
                    human_bytes(initial_bytes + life_bytes), charged.error().message));
  }
  auto shared = std::make_shared<SpawnRequest>(std::move(request));
  auto process =
      scheduler_.create([this, shared, initial_bytes, life_bytes](runtime::Process& self) {
        run_process(*shared, self, initial_bytes, life_bytes);
      });
  if (!process) {
    budget.release_memory(initial_bytes + life_bytes);
    budget.remove_process();
    return make_error(Errc::kIo, "cannot allocate a stack for a new process");
  }
  process->limit_mailbox(shared->config->max_mailbox_messages, shared->config->max_mailbox_bytes);
  process->set_origin(shared->parent, shared->module);
  if (shared->link_tag != 0 && shared->parent != 0) {
    // Linked before the child can run, so no failure of either goes unnoticed (Lunatic's
    // guarantee): the parent hears the tag when the child dies, the child hears no tag.
    if (auto parent = scheduler_.find(shared->parent)) parent->add_link(process->id(), 0);
    process->add_link(shared->parent, shared->link_tag);
  }
  if (auto* trace = runtime::trace_recorder()) [[unlikely]] {
    trace->spawned(process->id(), shared->parent, shared->function);
  }
  scheduler_.start(process);
  return process->id();
}

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// The checkpoint of a long runtime operation (engine::ExecutionState::checkpoint): a preemption
// point of the process, whose kill becomes the reason the guest unwinds.
bool checkpoint_process(void* process) noexcept {
  try {
    static_cast<runtime::Process*>(process)->preempt_point();
    return true;
  } catch (const engine::GuestTrap& trap) {
    engine::record_unwind(trap.kind, trap.message);
  } catch (...) {
    engine::record_unwind(engine::TrapKind::kHostError, "a checkpoint failed");
  }
  return false;  // unwound by the engine, outside this handler
}

// The wasm type list of an export's parameters: "(i32 i64) -> ()" gives "i32 i64".
std::string_view parameter_types(std::string_view signature) {
  const std::size_t close = signature.find(')');
  return signature.substr(1, close == std::string_view::npos ? 0 : close - 1);
}

}  // namespace

void Environment::run_process(SpawnRequest& request, runtime::Process& process,
                              std::uint64_t prepaid_memory, std::uint64_t life_bytes) {
  ProcessExit exit;
  engine::CallOutcome& outcome = exit.outcome;
  bool wanted_a_dir = false;
  engine::ExecutionState& execution = process.execution();
  execution.budget = request.budget.get();
  execution.privilege = request.parent == 0 ? Privilege::kRoot : Privilege::kNormal;
  execution.prepaid_memory_bytes = prepaid_memory;
  execution.checkpoint = &checkpoint_process;
  execution.checkpoint_arg = &process;
  {
    HostContext context;
    context.process = &process;
    context.blocking = &process;
    context.environment = this;
    context.config = request.config;
    context.module = request.module;
    context.output = request.output;
    context.budget = request.budget;

    engine::InstanceLimits limits;
    limits.max_memory_bytes = request.config->max_memory;
    limits.max_fuel = request.config->max_fuel * kFuelUnit;
    auto created = engine::Instance::create(request.module->variant_for_new_instance(), &context,
                                            &process.execution(), limits);
    std::unique_ptr<engine::Instance> instance;
    if (!created) {
      outcome.kind = engine::TrapKind::kHostError;
      outcome.message = created.error().message;
    } else {
      instance = std::move(*created);
      context.instance = instance.get();
      try {
        process.check_killed();  // killed before it ever ran
        // Timed for on_exit's report only: the clock costs every short-lived process otherwise.
        const auto start = request.on_exit ? Clock::now() : Clock::time_point{};
        outcome = instance->instantiate();
        if (request.on_exit) exit.instantiate_ms = ms_since(start);
      } catch (const engine::GuestTrap& trap) {
        outcome.kind = trap.kind;
        outcome.message = trap.message;
      }
      if (outcome.ok()) {
        context.initialized = true;
        const lunatic_export_t* entry = instance->module().find_export(request.function);
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
          outcome = instance->call(*entry, request.params, results);
          // The process moved to new code at a message boundary: it goes on there.
          while (outcome.kind == engine::TrapKind::kUpgrade && context.code_change != nullptr) {
            const lunatic_export_t& resume = switch_code(context, instance);
            outcome = instance->call(resume, {}, {});
          }
          if (request.on_exit) exit.run_ms = ms_since(start);
        }
      }
    }
    wanted_a_dir = context.found_no_preopens && context.reported_no_capability;
  }  // the instance and every resource of the process are gone here
  global_registry().process_ended(process.id());
  request.budget->release_memory(std::exchange(execution.prepaid_memory_bytes, 0) + life_bytes);
  request.budget->remove_process();

  const bool normal =
      outcome.ok() || (outcome.kind == engine::TrapKind::kExit && outcome.exit_code == 0);
  process.set_death(normal ? runtime::DeathReason::kNormal : runtime::DeathReason::kFailure);
  if (auto* trace = runtime::trace_recorder()) [[unlikely]] {
    trace->exited(process.id(), outcome.kind, outcome.exit_code,
                  outcome.kind == engine::TrapKind::kNone ? std::string() : outcome.describe());
  }
  scheduler_.counters().add(runtime::exit_counter(normal ? engine::TrapKind::kNone : outcome.kind));
  if (outcome.kind == engine::TrapKind::kKilled) {
    log(LogLevel::kWarn, fmt::format("process {} was killed: {}", process.id(), outcome.message));
  } else if (outcome.kind == engine::TrapKind::kExit && outcome.exit_code != 0) {
    // Lunatic counts only proc_exit(0) as a normal end; any other code is a failure.
    log(LogLevel::kWarn,
        fmt::format("process {} failed: exited with code {}", process.id(), outcome.exit_code));
  } else if (!normal) {
    log(LogLevel::kWarn,
        fmt::format("process {} failed: trap: {}", process.id(), outcome.describe()));
  }
  // Lunatic preopens the current directory and this runtime does not: a program whose path
  // lookups failed for want of a preopened directory is told how to grant one. Said once.
  if (wanted_a_dir && !no_preopen_hint_given_.exchange(true)) {
    log(LogLevel::kWarn,
        fmt::format("note: process {} has no preopened directory, so it can open no file; "
                    "--dir grants one (e.g. --dir . for the current directory)",
                    process.id()));
  }
  if (request.on_exit) request.on_exit(exit);
}

GlobalRegistry& Environment::global_registry() {
  return distributed_ != nullptr ? distributed_->global_registry() : lone_registry_;
}

}  // namespace lunatic::host
