#include "cli/dashboard_json.hpp"

#include <string>

namespace lunatic::cli {
namespace {

const char* status_name(runtime::ProcessStatus status) {
  switch (status) {
    case runtime::ProcessStatus::kRunnable:
      return "runnable";
    case runtime::ProcessStatus::kWaitingMessage:
      return "waiting for a message";
    case runtime::ProcessStatus::kWaitingTimer:
      return "sleeping";
    case runtime::ProcessStatus::kWaitingIo:
      return "waiting for I/O";
    case runtime::ProcessStatus::kFinished:
      return "finished";
  }
  return "unknown";
}

nlohmann::json ids(const std::vector<std::uint64_t>& values) {
  nlohmann::json out = nlohmann::json::array();
  for (std::uint64_t value : values) out.push_back(std::to_string(value));
  return out;
}

}  // namespace

nlohmann::json process_json(const host::ProcessView& process) {
  const runtime::ProcessInfo& info = process.info;
  return {{"id", std::to_string(info.id)},
          {"parent", std::to_string(info.parent)},
          {"module", process.module},
          {"status", status_name(info.status)},
          {"kill_pending", info.kill_pending},
          {"mailbox_messages", info.mailbox_messages},
          {"mailbox_bytes", info.mailbox_bytes},
          {"memory_bytes", info.memory_bytes},
          {"cpu_ns", info.cpu_ns},
          {"links", ids(info.links)},
          {"monitored_by", ids(info.monitored_by)},
          {"names", process.names}};
}

nlohmann::json snapshot_json(const host::RuntimeSnapshot& snapshot, bool allow_kill,
                             std::uint64_t time_ms) {
  nlohmann::json processes = nlohmann::json::array();
  std::uint64_t mailbox_messages = 0;
  std::uint64_t memory_bytes = 0;
  for (const auto& process : snapshot.processes) {
    processes.push_back(process_json(process));
    mailbox_messages += process.info.mailbox_messages;
    memory_bytes += process.info.memory_bytes;
  }
  nlohmann::json workers = nlohmann::json::array();
  for (const auto& worker : snapshot.workers) {
    workers.push_back({{"queued", worker.queued}, {"busy_ns", worker.busy_ns}});
  }
  nlohmann::json nodes = nlohmann::json::array();
  for (const auto& node : snapshot.nodes) {
    nodes.push_back({{"id", std::to_string(node.id)},
                     {"name", node.name},
                     {"address", node.address},
                     {"self", node.self}});
  }
  return {{"time_ms", time_ms},
          {"allow_kill", allow_kill},
          {"slice_timing", snapshot.slice_timing},
          {"process_count", snapshot.process_count},
          {"processes", std::move(processes)},
          // Over the processes shown.
          {"totals", {{"mailbox_messages", mailbox_messages}, {"memory_bytes", memory_bytes}}},
          {"workers", std::move(workers)},
          {"nodes", std::move(nodes)}};
}

}  // namespace lunatic::cli
