#include "host/process_snapshot.hpp"

#include <algorithm>

#include "host/distributed_node.hpp"
#include "host/environment.hpp"
#include "runtime/process.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::host {

void Snapshotter::name_module(const void* module, std::string label) {
  std::lock_guard guard(mutex_);
  module_labels_[module] = std::move(label);
}

std::string Snapshotter::module_label(const void* module) {
  auto [it, added] = module_labels_.try_emplace(module);
  // Numbered from 2: the main module is the first. A module freed and another allocated at
  // its address would inherit its label; labels only tell modules apart, they name nothing.
  if (added) it->second = "module " + std::to_string(module_labels_.size() + 1);
  return it->second;
}

Snapshotter::Names Snapshotter::names_by_process() {
  // Process ids are unique across a cluster (cluster/process_id.hpp): the id alone finds it.
  Names names;
  {
    std::lock_guard guard(environment_.registry_mutex());
    for (const auto& [name, entry] : environment_.registry()) names[entry.process].push_back(name);
  }
  for (auto& [process, held] : environment_.global_registry().held_names()) {
    for (const auto& name : held) names[process].push_back(name);
  }
  return names;
}

std::optional<ProcessView> Snapshotter::process(std::uint64_t id) {
  auto process = environment_.scheduler().find(id);
  if (process == nullptr) return std::nullopt;
  ProcessView view;
  view.info = process->introspect();
  if (view.info.status == runtime::ProcessStatus::kFinished) return std::nullopt;
  if (auto names = names_by_process(); names.contains(id)) view.names = std::move(names[id]);
  std::lock_guard guard(mutex_);
  view.module = module_label(view.info.module);
  return view;
}

RuntimeSnapshot Snapshotter::take(std::size_t max_processes) {
  runtime::Scheduler& scheduler = environment_.scheduler();
  RuntimeSnapshot snapshot;
  snapshot.process_count = scheduler.process_count();
  snapshot.cpu_sampling = scheduler.cpu_sampling();
  // Read more than shown, then keep the lowest ids: the oldest processes, the top of the tree.
  auto processes = scheduler.live_processes(std::max(max_processes, max_processes * 4));
  std::sort(processes.begin(), processes.end(),
            [](const auto& a, const auto& b) { return a->id() < b->id(); });
  if (processes.size() > max_processes) processes.resize(max_processes);

  Names names = names_by_process();
  snapshot.processes.reserve(processes.size());
  {
    std::lock_guard guard(mutex_);
    for (const auto& process : processes) {
      ProcessView view;
      view.info = process->introspect();
      if (view.info.status == runtime::ProcessStatus::kFinished) continue;
      view.module = module_label(view.info.module);
      if (auto it = names.find(view.info.id); it != names.end()) view.names = std::move(it->second);
      snapshot.processes.push_back(std::move(view));
    }
  }

  const auto queued = scheduler.queued_per_worker();
  const auto busy = scheduler.busy_ns_per_worker();
  for (std::size_t i = 0; i < queued.size(); ++i) {
    snapshot.workers.push_back({queued[i], i < busy.size() ? busy[i] : 0});
  }

  if (DistributedNode* node = environment_.distributed()) {
    const auto traffic = node->traffic();
    for (const auto& info : node->nodes()) {
      NodeView view{info.id, info.name, info.address, info.id == node->node_id()};
      const auto peer = std::find_if(traffic.begin(), traffic.end(),
                                     [&](const auto& peer) { return peer.peer == info.id; });
      if (peer != traffic.end()) view.round_trip_ns = peer->last_round_trip_ns;
      snapshot.nodes.push_back(std::move(view));
    }
  }
  return snapshot;
}

}  // namespace lunatic::host
