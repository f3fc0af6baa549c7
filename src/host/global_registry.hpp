// The names lunatic::global_registry gives processes: every node of a cluster sees them (beyond
// Lunatic, whose registry is per node). In a cluster they live in the membership store
// (cluster::Cluster, on this node's lease), and each call is a round trip made off the workers
// (BlockingCalls) while the process waits; a lone runtime keeps them in memory, with the same
// rules. A name is held by one process at a time, registering a taken name gives its holder, and
// the names of a process go when it ends (and, in a cluster, with its node).
// Thread: any.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>

#include "cluster/cluster.hpp"
#include "common/error.hpp"
#include "host/blocking_calls.hpp"
#include "runtime/blocking.hpp"

namespace lunatic::host {

class GlobalRegistry {
 public:
  // With no cluster: one node, names in memory.
  explicit GlobalRegistry(cluster::Cluster* cluster = nullptr);
  ~GlobalRegistry();
  GlobalRegistry(const GlobalRegistry&) = delete;
  GlobalRegistry& operator=(const GlobalRegistry&) = delete;

  // Registers `process` (of this node) under `name` unless the name is taken; returns the
  // holder afterwards: `process`, or the process that had it.
  Expected<std::uint64_t> put(runtime::Blocking& waiter, const std::string& name,
                              std::uint64_t process);
  Expected<std::optional<std::uint64_t>> get(runtime::Blocking& waiter, const std::string& name);
  // Removes the name if `process` holds it; returns whether it did.
  Expected<bool> remove(runtime::Blocking& waiter, const std::string& name, std::uint64_t process);
  // `process` ended: the names it holds go. Does not wait; cheap for a process that holds none.
  void process_ended(std::uint64_t process);
  // Every name this node's processes hold, by process (for introspection).
  std::unordered_map<std::uint64_t, std::set<std::string>> held_names();

 private:
  void forget_held(const std::string& name, std::uint64_t process);  // under mutex_

  cluster::Cluster* const cluster_;
  // False until the first put: until then an ending process costs one load here.
  std::atomic<bool> used_{false};
  std::mutex mutex_;
  std::size_t puts_in_flight_ = 0;                                 // cluster puts queued or running
  std::unordered_map<std::string, std::uint64_t> local_;           // a lone runtime's names
  std::unordered_map<std::uint64_t, std::set<std::string>> held_;  // process -> its names
  // Last: destroyed first, so calls still queued run while the rest is there.
  std::unique_ptr<BlockingCalls> calls_;
};

}  // namespace lunatic::host
