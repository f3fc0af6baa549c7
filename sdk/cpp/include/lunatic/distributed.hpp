// From one machine to a cluster: the nodes of the cluster this program runs in, and spawning
// on one of them. A process id names its node, so Process<Msg>, its send, kill and
// request/reply work the same for a process on another node; under `lunatic run` there is one
// node, node 0. See docs/sdk.md, "From one machine to a cluster".
#pragma once

#include <lunatic/abi.h>

#include <cstdint>
#include <lunatic/process.hpp>
#include <lunatic/result.hpp>
#include <string_view>
#include <vector>

namespace lunatic {

struct NodeId {
  std::uint64_t value = 0;
  friend bool operator==(NodeId, NodeId) = default;
};

inline NodeId this_node() { return NodeId{lunatic_distributed_node_id()}; }

// The node a process runs on (the top 20 bits of its id).
inline NodeId node_of(ProcessId id) { return NodeId{id.value >> 44}; }

// Every node of the cluster, this one among them, in id order.
inline std::vector<NodeId> nodes() {
  std::vector<std::uint64_t> ids(lunatic_distributed_nodes_count());
  ids.resize(lunatic_distributed_get_nodes(detail::address(ids.data()),
                                           static_cast<std::uint32_t>(ids.size())));
  std::vector<NodeId> result;
  for (const std::uint64_t id : ids) result.push_back(NodeId{id});
  return result;
}

// The nodes whose tags (`lunatic node --tag k=v`) match every k=v of `query` ("zone=eu&gpu=1";
// the empty query matches all).
inline Result<std::vector<NodeId>> lookup_nodes(std::string_view query) {
  std::uint64_t query_id = 0;
  std::uint32_t count = 0;
  std::uint64_t error = 0;
  if (lunatic_distributed_exec_lookup_nodes(
          detail::address(query.data()), static_cast<std::uint32_t>(query.size()),
          detail::address(&query_id), detail::address(&count), detail::address(&error)) != 0) {
    return Error{ErrorKind::kHost, detail::take_host_error(error)};
  }
  std::vector<std::uint64_t> ids(count);
  const std::int32_t copied = lunatic_distributed_copy_lookup_nodes_results(
      query_id, detail::address(ids.data()), count, detail::address(&error));
  if (copied < 0) return Error{ErrorKind::kHost, detail::take_host_error(error)};
  std::vector<NodeId> result;
  for (std::int32_t i = 0; i < copied; ++i) result.push_back(NodeId{ids[i]});
  return result;
}

namespace detail {

inline Result<ProcessId> spawn_entry_on(NodeId node, Launcher launcher, std::int32_t entry,
                                        const SpawnOptions& options) {
  if (node == this_node()) return spawn_entry(launcher, entry, options);
  if (options.link) {
    return Error{ErrorKind::kHost, "a process on another node cannot be spawned linked"};
  }
  const EntryCall call(launcher, entry);
  std::uint64_t id = 0;
  const std::uint32_t status = lunatic_distributed_spawn(
      node.value, Config::id_of(options.config), lunatic_distributed_module_id(), call.name(),
      call.name_size(), call.records(), call.records_size(), address(&id));
  if (status != 0) return Error{ErrorKind::kHost, take_host_error(id)};
  return ProcessId{id};
}

}  // namespace detail

// Spawns `entry(argument, mailbox)` in a new process of this module on `node`. The module's
// bytes go to the node with its first spawn there; the node compiles them itself.
template <class Msg, class Arg>
Result<Process<Msg>> spawn_on(NodeId node, void (*entry)(Arg, Mailbox<Msg>), const Arg& argument,
                              const SpawnOptions& options = {}) {
  Result<ProcessId> id = detail::spawn_entry_on(node, &detail::launch_with_argument<Msg, Arg>,
                                                detail::table_index(entry), options);
  if (!id) return id.error();
  detail::send_value(id->value, detail::kSpawnArgumentTag, argument);
  return Process<Msg>(*id);
}

template <class Msg>
Result<Process<Msg>> spawn_on(NodeId node, void (*entry)(Mailbox<Msg>),
                              const SpawnOptions& options = {}) {
  Result<ProcessId> id = detail::spawn_entry_on(node, &detail::launch_without_argument<Msg>,
                                                detail::table_index(entry), options);
  if (!id) return id.error();
  return Process<Msg>(*id);
}

}  // namespace lunatic
