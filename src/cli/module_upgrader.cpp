#include "cli/module_upgrader.hpp"

#include "engine/engine.hpp"
#include "host/code_versions.hpp"
#include "host/environment.hpp"

namespace lunatic::cli {

ModuleUpgrader::ModuleUpgrader(engine::Engine& engine, host::Environment& environment,
                               std::shared_ptr<const engine::Module> current)
    : engine_(engine), environment_(environment), current_(std::move(current)) {}

Expected<host::UpgradeReport> ModuleUpgrader::upgrade_from(const std::filesystem::path& path,
                                                           const host::UpgradeOptions& options) {
  std::lock_guard guard(mutex_);
  engine::LoadReport report;
  auto loaded = engine_.load_file(path, &report);
  if (!loaded) return loaded.error();
  auto targets = host::processes_running(*current_, environment_.scheduler());
  auto upgraded = host::upgrade_processes(environment_, std::move(targets), current_, *loaded,
                                          options, /*waiter=*/nullptr);
  if (upgraded && (upgraded->upgraded != 0 || upgraded->restarted != 0)) {
    current_ = std::move(*loaded);
  }
  return upgraded;
}

}  // namespace lunatic::cli
