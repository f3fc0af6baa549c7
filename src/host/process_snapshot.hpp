// A picture of a running runtime, for the dashboard (cli/dashboard_server.hpp): its live
// processes (runtime::ProcessInfo, plus what the host knows of each: the module it runs, its
// registered names), its workers' load and, on a cluster's node, the nodes. Taken from a thread
// that runs no process, without stopping any: each process is read under its own lock in turn,
// so the picture is consistent per process, not across them (a process may appear whose parent
// has just gone).
// Thread: any; one Snapshotter may be used from several threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "runtime/process_info.hpp"

namespace lunatic::host {

class Environment;

struct ProcessView {
  runtime::ProcessInfo info;
  std::string module;              // a label: the name given with name_module, or "module N"
  std::vector<std::string> names;  // lunatic::registry and lunatic::global_registry names
};

struct WorkerView {
  std::uint64_t queued = 0;   // processes in its run queue now
  std::uint64_t busy_ns = 0;  // time awake since the worker started (Scheduler::busy_ns_per_worker)
};

struct NodeView {
  std::uint64_t id = 0;
  std::string name;
  std::string address;
  bool self = false;
  std::uint64_t round_trip_ns = 0;  // the latest ping's to it (0: none yet, or this node)
};

struct RuntimeSnapshot {
  std::uint64_t process_count = 0;     // live processes, all of them
  std::vector<ProcessView> processes;  // by id; at most the limit asked for
  std::vector<WorkerView> workers;
  bool cpu_sampling = false;    // processes' CPU times are sampled
  std::vector<NodeView> nodes;  // empty outside a cluster
};

class Snapshotter {
 public:
  explicit Snapshotter(Environment& environment) : environment_(environment) {}

  // Labels processes that run `module` (an engine::Module) with `label` (the main module's
  // file name). Others are numbered in the order snapshots first meet them.
  void name_module(const void* module, std::string label);
  // The runtime now, with at most `max_processes` processes (the lowest ids of those read).
  RuntimeSnapshot take(std::size_t max_processes);
  // One live process, or nullopt when there is none of that id here.
  std::optional<ProcessView> process(std::uint64_t id);

 private:
  using Names = std::unordered_map<std::uint64_t, std::vector<std::string>>;
  Names names_by_process();                      // every registered name, by its process
  std::string module_label(const void* module);  // under mutex_

  Environment& environment_;
  std::mutex mutex_;
  std::unordered_map<const void*, std::string> module_labels_;
};

}  // namespace lunatic::host
