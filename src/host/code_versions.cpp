#include "host/code_versions.hpp"

#include <fmt/core.h>

#include <limits>

#include "engine/module.hpp"
#include "runtime/process.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::host {

std::vector<std::shared_ptr<runtime::Process>> processes_running(const engine::Module& module,
                                                                 runtime::Scheduler& scheduler) {
  std::vector<std::shared_ptr<runtime::Process>> running;
  for (auto& process : scheduler.live_processes(std::numeric_limits<std::size_t>::max())) {
    if (process->parent() != 0 && process->module().get() == &module) {
      running.push_back(std::move(process));
    }
  }
  return running;
}

std::shared_ptr<CodeVersions::History> CodeVersions::history_of(
    const std::shared_ptr<const engine::Module>& from) {
  if (auto found = histories_.find(from.get()); found != histories_.end()) return found->second;
  return std::make_shared<History>(History{from, nullptr});
}

std::optional<Error> CodeVersions::check_locked(const History& history,
                                                const std::shared_ptr<const engine::Module>& from,
                                                const std::shared_ptr<const engine::Module>& to,
                                                bool purge, runtime::Scheduler& scheduler) {
  if (from == to) return Error{Errc::kInvalidArgument, "the process already runs that module"};
  if (to == history.current) return std::nullopt;  // a process of the old version catching up
  if (from != history.current) {
    return Error{Errc::kInvalidArgument,
                 "the process runs the old version of its code, which may only move to the "
                 "current version"};
  }
  if (histories_.contains(to.get())) {
    return Error{Errc::kInvalidArgument, "the new module is already a version of other code"};
  }
  if (history.old != nullptr && !purge) {
    const std::size_t running = processes_running(*history.old, scheduler).size();
    if (running != 0) {
      return Error{Errc::kInvalidArgument,
                   fmt::format("two versions are loaded already and {} process(es) still run the "
                               "old one; a third is refused until they end (or the upgrade "
                               "purges them)",
                               running)};
    }
  }
  return std::nullopt;
}

std::optional<Error> CodeVersions::check(const std::shared_ptr<const engine::Module>& from,
                                         const std::shared_ptr<const engine::Module>& to,
                                         bool purge, runtime::Scheduler& scheduler) {
  std::lock_guard guard(mutex_);
  return check_locked(*history_of(from), from, to, purge, scheduler);
}

std::vector<std::shared_ptr<runtime::Process>> CodeVersions::commit(
    const std::shared_ptr<const engine::Module>& from,
    const std::shared_ptr<const engine::Module>& to, runtime::Scheduler& scheduler) {
  std::lock_guard guard(mutex_);
  std::shared_ptr<History> history = history_of(from);
  if (to == history->current) return {};  // recorded by an earlier move
  std::vector<std::shared_ptr<runtime::Process>> retiring;
  if (history->old != nullptr) {
    retiring = processes_running(*history->old, scheduler);
    histories_.erase(history->old.get());
  }
  history->old = history->current;
  history->current = to;
  histories_.insert_or_assign(from.get(), history);
  histories_.insert_or_assign(to.get(), history);
  return retiring;
}

std::shared_ptr<const engine::Module> CodeVersions::old_version_of(const engine::Module& module) {
  std::lock_guard guard(mutex_);
  const auto found = histories_.find(&module);
  if (found == histories_.end() || found->second->current.get() != &module) return nullptr;
  return found->second->old;
}

}  // namespace lunatic::host
