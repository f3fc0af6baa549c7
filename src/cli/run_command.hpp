// `lunatic run`: load a module, run its _start as the first process, exit with its code when
// it ends (as in Lunatic, processes still running then are stopped with it).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cli/trace_session.hpp"
#include "common/error.hpp"
#include "engine/compile/native_compiler.hpp"

namespace lunatic::host {
class Environment;
}
namespace lunatic::runtime {
class Scheduler;
}

namespace lunatic::cli {

struct RunOptions {
  std::string module_path;
  std::vector<std::string> args;  // guest arguments after the module
  std::vector<std::string> dirs;  // HOST[:GUEST]
  std::vector<std::string> env;   // K=V
  engine::MemoryMode memory_mode = engine::MemoryMode::kAuto;
  bool timings = false;
  unsigned workers = 0;            // 0: one per core
  std::string log_level = "warn";  // off, error, warn, info, debug
  // Limits on all processes together; unset: derived from the machine, 0: none.
  std::optional<std::uint64_t> max_processes;
  std::optional<std::uint64_t> max_memory;  // bytes of guest memory
  // Where to serve Prometheus's /metrics (--prometheus, --prometheus-http); empty: nowhere.
  std::string prometheus_address;
  TraceOptions trace;  // --trace, --trace-limit, --trace-max-size
  // Where to serve the live dashboard (--dashboard); empty: nowhere. Kills from it are refused
  // unless dashboard_allow_kill (--dashboard-allow-kill).
  std::string dashboard_address;
  bool dashboard_allow_kill = false;
  // Hot code upgrade from outside: a socket for `lunatic upgrade` (--upgrade-socket), and
  // upgrades whenever the module file is rebuilt (--watch). Neither for an artifact (.lart).
  std::string upgrade_socket;
  bool watch = false;
};

// Exit codes besides the guest's own.
inline constexpr int kExitRuntimeError = 1;
inline constexpr int kExitTrap = 134;

int run_command(const RunOptions& options);

// What `lunatic node` adds to a run: ids in the node's range, its cluster attached to the
// environment before any process runs, and a runtime that serves other nodes while no
// process lives (with no module, until `attach`'s caller stops the scheduler).
struct NodeRuntime {
  std::uint64_t first_process_id = 1;
  std::function<Status(host::Environment&, runtime::Scheduler&)> attach;
  // After the scheduler has stopped (or attach failed), before the environment goes.
  std::function<void()> detach;
};
// Runs `options.module_path` as `run` does (no module: only serves), as a cluster's node.
int run_node_runtime(const RunOptions& options, const NodeRuntime& node);

}  // namespace lunatic::cli
