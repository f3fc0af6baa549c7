#include "cli/module_upgrader.hpp"

#include <fmt/core.h>

#include "common/file_io.hpp"
#include "engine/engine.hpp"
#include "host/code_versions.hpp"
#include "host/distributed_node.hpp"
#include "host/environment.hpp"

namespace lunatic::cli {

ModuleUpgrader::ModuleUpgrader(engine::Engine& engine, host::Environment& environment,
                               std::shared_ptr<const engine::Module> current)
    : engine_(engine), environment_(environment), current_(std::move(current)) {}

namespace {

// Adds what another node answered to the report.
void add_node(host::UpgradeReport& report, const host::NodeUpgrade& node) {
  ++report.nodes;
  if (!node.answered) {
    ++report.nodes_incomplete;
    report.add_failure(fmt::format("node {}: no answer", node.node));
    return;
  }
  const cluster::UpgradeReply& reply = node.reply;
  if (!reply.refused.empty()) {
    ++report.nodes_incomplete;
    report.add_failure(fmt::format("node {}: refused: {}", node.node, reply.refused));
    return;
  }
  report.upgraded += reply.upgraded;
  report.failed += reply.failed;
  report.timed_out += reply.timed_out;
  report.restarted += reply.restarted;
  report.purged += reply.purged;
  if (!reply.first_failure.empty()) {
    report.add_failure(fmt::format("node {}: {}", node.node, reply.first_failure));
  }
}

}  // namespace

Expected<host::UpgradeReport> ModuleUpgrader::upgrade_from(const std::filesystem::path& path,
                                                           host::UpgradeOptions options,
                                                           std::chrono::milliseconds timeout,
                                                           bool all_nodes) {
  std::lock_guard guard(mutex_);
  host::DistributedNode* cluster = environment_.distributed();
  if (all_nodes && cluster == nullptr) {
    return make_error(Errc::kInvalidArgument, "this runtime is not a node of a cluster");
  }
  // A node keeps every module's bytes, for the nodes it spawns on and upgrades.
  auto wasm = read_file(path);
  if (!wasm) return wasm.error();
  engine::LoadReport report;
  auto loaded = engine_.load_wasm(*wasm, path.filename().string(), &report);
  if (!loaded) return loaded.error();
  options.deadline = runtime::Clock::now() + timeout;
  const auto from = environment_.module_source(*current_);
  if (cluster != nullptr) environment_.add_module_source(*loaded, std::move(*wasm));
  auto targets = host::processes_running(*current_, environment_.scheduler());
  auto upgraded = host::upgrade_processes(environment_, std::move(targets), current_, *loaded,
                                          options, /*waiter=*/nullptr);
  if (!upgraded) return upgraded;
  if (all_nodes) {
    const auto to = environment_.module_source(**loaded);
    if (!from || !to) return make_error(Errc::kInvalidArgument, "the module's bytes were not kept");
    for (const host::NodeUpgrade& node :
         cluster->upgrade_other_nodes(from->hash, *to, options, timeout)) {
      add_node(*upgraded, node);
    }
  }
  if (upgraded->upgraded != 0 || upgraded->restarted != 0) current_ = std::move(*loaded);
  return upgraded;
}

}  // namespace lunatic::cli
