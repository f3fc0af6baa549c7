// Upgrades the processes of `lunatic run`'s module from a file, for the operator's ways in:
// `lunatic upgrade` through the run's upgrade socket, and `--watch`. It remembers which version
// is current: each upgrade moves the processes that run it to the new file's code, which
// becomes current once a process has moved. The main process stays on its code (see
// host::processes_running). Thread: any; one upgrade at a time.
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <mutex>

#include "common/error.hpp"
#include "host/code_upgrade.hpp"

namespace lunatic::engine {
class Engine;
class Module;
}  // namespace lunatic::engine
namespace lunatic::host {
class Environment;
}  // namespace lunatic::host

namespace lunatic::cli {

class ModuleUpgrader {
 public:
  ModuleUpgrader(engine::Engine& engine, host::Environment& environment,
                 std::shared_ptr<const engine::Module> current);

  // Loads (compiling if needed) the wasm module at `path` and moves the current version's
  // processes to it, giving them `timeout` from then on (a compile does not count) to reach
  // a message boundary; with `all_nodes`, on every node of the cluster too (the others are
  // asked once this node is done). Errors: the file does not load, the upgrade was refused as
  // a whole here, or `all_nodes` on a runtime that is not a node.
  Expected<host::UpgradeReport> upgrade_from(const std::filesystem::path& path,
                                             host::UpgradeOptions options,
                                             std::chrono::milliseconds timeout,
                                             bool all_nodes = false);

 private:
  engine::Engine& engine_;
  host::Environment& environment_;
  std::mutex mutex_;
  std::shared_ptr<const engine::Module> current_;  // under the mutex
};

}  // namespace lunatic::cli
