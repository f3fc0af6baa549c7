// What every process of one `lunatic run` shares: the engine that compiles modules, the
// scheduler that runs processes, the name registry, module ids, and how failures are logged.
// Spawning a wasm process goes through here. Thread: every method may be called from any worker.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/error.hpp"
#include "common/metrics_registry.hpp"
#include "common/resource_budget.hpp"
#include "engine/execution/instance.hpp"
#include "host/code_versions.hpp"
#include "host/global_registry.hpp"
#include "host/process_config.hpp"

namespace lunatic::engine {
class CompileQueue;
class Engine;
class Module;
}  // namespace lunatic::engine
namespace lunatic::runtime {
class Blocking;
class Scheduler;
class Process;
}  // namespace lunatic::runtime

namespace lunatic::host {

class DistributedNode;
class OutputCapture;

enum class LogLevel : std::uint8_t { kOff, kError, kWarn, kInfo, kDebug };
// Parses "off", "error", "warn", "info" or "debug".
std::optional<LogLevel> parse_log_level(std::string_view text);

// How a process ended, for whoever waits on it (the main process's exit code, --timings).
struct ProcessExit {
  engine::CallOutcome outcome;
  double instantiate_ms = 0;
  double run_ms = 0;
};

struct SpawnRequest {
  std::shared_ptr<const engine::Module> module;
  std::shared_ptr<const ProcessConfig> config;
  std::string function;
  std::string param_types;            // wasm value types of the arguments, e.g. "i32 i64"
  std::vector<std::uint64_t> params;  // one slot per argument
  std::uint64_t parent = 0;           // the spawning process, 0 for the main process
  std::int64_t link_tag = 0;          // non-zero: link parent and child, the parent gets this tag
  // What the child is counted against: the spawner's budget (nullptr: the runtime's), or a
  // budget of its own under it when `own_limits` has any (a config given explicitly).
  std::shared_ptr<ResourceBudget> budget;
  BudgetLimits own_limits;
  Privilege spawner_privilege = Privilege::kRoot;  // how much of the reserve the spawn may use
  // Called on the child's fiber when its function has returned or failed (the main process).
  std::function<void(const ProcessExit&)> on_exit;
  // Set: the child's fds 1 and 2 write here instead of the runtime's own (inherited by what it
  // spawns).
  std::shared_ptr<OutputCapture> output;
};

// A registered name (lunatic::registry, get_or_spawn). Its memory counts against the budget of
// the process that registered it, as guest memory, until the name is removed or replaced.
struct RegistryEntry {
  std::uint64_t node = 0;
  std::uint64_t process = 0;
  BudgetCharge charge;

  // Bytes an entry holds besides its name (the map's node).
  static constexpr std::uint64_t kOverhead = 128;
};

class Environment {
 public:
  // `limits` bound every process of the environment together (--max-processes, --max-memory).
  Environment(engine::Engine& engine, runtime::Scheduler& scheduler, LogLevel log_level,
              BudgetLimits limits = {});
  ~Environment();  // cancels the compiles under way and waits for the compile threads

  std::uint64_t id() const { return 1; }
  runtime::Scheduler& scheduler() { return scheduler_; }
  LogLevel log_level() const { return log_level_; }

  // Starts a process that instantiates the module and calls the function. Returns its id, or
  // an error when no process can be made: a limit is reached (the process count or its
  // initial memory would pass a budget), or out of memory. Failures of the guest itself (a
  // missing function, a trap in the start function) are the new process's death, as in Lunatic.
  Expected<std::uint64_t> spawn(SpawnRequest request);

  // What every process of this environment is counted against.
  const std::shared_ptr<ResourceBudget>& budget() const { return budget_; }

  // Compiles (or loads from the artifact cache) a module a guest supplied, on the compile
  // queue's threads (engine/compile/compile_queue.hpp): the calling process waits in `waiter` as
  // for any blocking call, and a kill ends the wait at once (GuestTrap) and cancels the compile.
  Expected<std::shared_ptr<const engine::Module>> compile(std::string wasm,
                                                          runtime::Blocking& waiter);
  // Cancels every compile under way now; for a runtime about to exit.
  void cancel_compiles();

  // The cluster this runtime is a node of (`lunatic node`), or nullptr for a lone runtime.
  // Set before the first process runs.
  void set_distributed(DistributedNode* node) { distributed_ = node; }
  DistributedNode* distributed() const { return distributed_; }
  // lunatic::global_registry: the cluster's names on a node, this runtime's own otherwise.
  GlobalRegistry& global_registry();

  // Which versions of each upgraded module are loaded (hot code upgrade).
  CodeVersions& code_versions() { return code_versions_; }

  // lunatic::metrics: what guests count, read by the Prometheus endpoint.
  MetricsRegistry& metrics() { return metrics_; }

  // The engine that compiles this environment's modules.
  engine::Engine& engine() { return engine_; }

  // A cluster's node keeps every module's wasm bytes, so a spawn on another node can ship them
  // (host/distributed_node.hpp); a lone runtime does not. Set before the first process runs.
  void keep_module_sources() { keep_sources_ = true; }
  struct ModuleSource {
    std::string hash;  // SHA-256 of the bytes, hex
    std::shared_ptr<const std::string> wasm;
  };
  void add_module_source(const std::shared_ptr<const engine::Module>& module, std::string wasm);
  // The bytes of a module this environment loaded, or nullopt if it keeps none.
  std::optional<ModuleSource> module_source(const engine::Module& module);

  // Distributed module ids: a stable number per module, for lunatic::distributed.
  std::uint64_t module_id(const std::shared_ptr<const engine::Module>& module);
  std::shared_ptr<const engine::Module> module_by_id(std::uint64_t id);

  // The name registry (lunatic::process::get_or_spawn, lunatic::registry): the lock makes a
  // lookup followed by a spawn atomic.
  std::mutex& registry_mutex() { return registry_mutex_; }
  std::map<std::string, RegistryEntry>& registry() { return registry_; }

  void log(LogLevel level, const std::string& line) const;

 private:
  // The data each C compiler of a guest's compile may allocate.
  std::uint64_t compiler_memory() const;
  // The process body. Its spawn charged `prepaid_memory` bytes for its memory and tables, and
  // `life_bytes` for its stack and config; both are given back when it ends.
  void run_process(SpawnRequest& request, runtime::Process& process, std::uint64_t prepaid_memory,
                   std::uint64_t life_bytes);

  engine::Engine& engine_;
  runtime::Scheduler& scheduler_;
  LogLevel log_level_;
  std::shared_ptr<ResourceBudget> budget_;
  std::mutex compile_queue_mutex_;
  std::unique_ptr<engine::CompileQueue> compile_queue_;  // made on the first compile

  std::mutex modules_mutex_;
  std::unordered_map<const engine::Module*, std::uint64_t> module_ids_;
  std::unordered_map<std::uint64_t, std::shared_ptr<const engine::Module>> modules_by_id_;

  DistributedNode* distributed_ = nullptr;
  GlobalRegistry lone_registry_;
  MetricsRegistry metrics_;
  CodeVersions code_versions_;
  bool keep_sources_ = false;
  std::unordered_map<const engine::Module*, ModuleSource> sources_;  // under modules_mutex_

  std::atomic<bool> no_preopen_hint_given_{false};

  std::mutex registry_mutex_;
  std::map<std::string, RegistryEntry> registry_;
};

}  // namespace lunatic::host
