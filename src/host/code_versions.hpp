// Which versions of a module's code are loaded, as in Erlang: a current one and an old one at
// most. An upgrade from A to B makes B current and A old; a third version is refused while any
// process still runs the old one (unless the upgrade purges them), and a process of the old
// version may only move to the current one. Thread: any; one lock.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "common/error.hpp"

namespace lunatic::engine {
class Module;
}  // namespace lunatic::engine
namespace lunatic::runtime {
class Process;
class Scheduler;
}  // namespace lunatic::runtime

namespace lunatic::host {

class CodeVersions {
 public:
  // Whether processes of `from` may move to `to` now: the error says why not. With `purge`,
  // processes that still run the version a move would retire do not stand in the way.
  std::optional<Error> check(const std::shared_ptr<const engine::Module>& from,
                             const std::shared_ptr<const engine::Module>& to, bool purge,
                             runtime::Scheduler& scheduler);
  // Records the move once a process has made it (an upgrade whose every target kept its code
  // changes nothing). Returns the processes that still run the version it retires.
  std::vector<std::shared_ptr<runtime::Process>> commit(
      const std::shared_ptr<const engine::Module>& from,
      const std::shared_ptr<const engine::Module>& to, runtime::Scheduler& scheduler);

  // The version before `module` in its history, or nullptr (for tests and introspection).
  std::shared_ptr<const engine::Module> old_version_of(const engine::Module& module);

 private:
  struct History {
    std::shared_ptr<const engine::Module> current;
    std::shared_ptr<const engine::Module> old;
  };
  // The history `from` belongs to, or a new one in which it is current (not recorded).
  std::shared_ptr<History> history_of(const std::shared_ptr<const engine::Module>& from);
  std::optional<Error> check_locked(const History& history,
                                    const std::shared_ptr<const engine::Module>& from,
                                    const std::shared_ptr<const engine::Module>& to, bool purge,
                                    runtime::Scheduler& scheduler);

  std::mutex mutex_;
  // Each module that is current or old in some history, to that history.
  std::map<const engine::Module*, std::shared_ptr<History>> histories_;
};

// The live processes that run `module` now, but for the runtime's own first process (whose
// parent is none: what `lunatic run` or `lunatic node --wasm` started). It stays on its code: it
// usually only starts the system, nothing could restart it, and it holds no version loaded.
std::vector<std::shared_ptr<runtime::Process>> processes_running(const engine::Module& module,
                                                                 runtime::Scheduler& scheduler);

}  // namespace lunatic::host
