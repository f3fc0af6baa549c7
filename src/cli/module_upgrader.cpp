#include "cli/module_upgrader.hpp"

#include "engine/engine.hpp"
#include "host/code_versions.hpp"
#include "host/environment.hpp"
#include "runtime/process.hpp"

namespace lunatic::cli {

ModuleUpgrader::ModuleUpgrader(engine::Engine& engine, host::Environment& environment,
                               std::shared_ptr<const engine::Module> current,
                               std::uint64_t main_process)
    : engine_(engine),
      environment_(environment),
      main_process_(main_process),
      current_(std::move(current)) {}

Expected<host::UpgradeReport> ModuleUpgrader::upgrade_from(const std::filesystem::path& path,
                                                           const host::UpgradeOptions& options) {
  std::lock_guard guard(mutex_);
  engine::LoadReport report;
  auto loaded = engine_.load_file(path, &report);
  if (!loaded) return loaded.error();
  auto targets = host::processes_running(*current_, environment_.scheduler());
  std::erase_if(targets, [this](const auto& process) { return process->id() == main_process_; });
  auto upgraded = host::upgrade_processes(environment_, std::move(targets), current_, *loaded,
                                          options, /*waiter=*/nullptr);
  if (upgraded && (upgraded->upgraded != 0 || upgraded->restarted != 0)) {
    current_ = std::move(*loaded);
  }
  return upgraded;
}

}  // namespace lunatic::cli
