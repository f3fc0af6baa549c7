#include "host/distributed_api.hpp"

#include <fmt/core.h>

#include <algorithm>

#include "cluster/node_tags.hpp"
#include "host/distributed_node.hpp"
#include "host/environment.hpp"
#include "host/guest_abi.hpp"
#include "host/message_api.hpp"
#include "host/process_api.hpp"
#include "host/return_codes.hpp"
#include "runtime/process.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::host {
namespace {

// What the caller's runtime knows of its cluster: the node, or nullptr for a lone runtime.
DistributedNode* cluster_of(HostContext& context) { return environment_of(context).distributed(); }

std::uint64_t this_node(HostContext& context) {
  const DistributedNode* node = cluster_of(context);
  return node != nullptr ? node->node_id() : 0;
}

std::vector<std::uint64_t> node_ids(HostContext& context) {
  const DistributedNode* node = cluster_of(context);
  if (node == nullptr) return {0};
  std::vector<std::uint64_t> ids;
  for (const auto& info : node->nodes()) ids.push_back(info.id);
  return ids;
}

std::uint32_t nodes_count(HostContext& context) {
  return static_cast<std::uint32_t>(node_ids(context).size());
}

// get_nodes(ptr: i32, len: i32) -> i32: writes up to len node ids; returns how many.
std::uint32_t get_nodes(HostContext& context, std::uint32_t ptr, std::uint32_t len) {
  const auto ids = node_ids(context);
  const std::size_t count = std::min<std::size_t>(ids.size(), len);
  for (std::size_t i = 0; i < count; ++i) {
    store_u64(context, static_cast<std::uint32_t>(ptr + i * 8), ids[i]);
  }
  return static_cast<std::uint32_t>(count);
}

std::uint64_t node_id(HostContext& context) { return this_node(context); }

std::uint64_t module_id(HostContext& context) {
  return environment_of(context).module_id(context.module);
}

// exec_lookup_nodes(query, query_len, query_id_ptr, nodes_len_ptr, error_ptr) -> i32: the
// nodes whose tags match every k=v of the query ("&"-separated), kept for
// copy_lookup_nodes_results: 0, with the lookup's id and the number of nodes (u32); 1 and an
// error id for a malformed query.
std::uint32_t exec_lookup_nodes(HostContext& context, std::uint32_t query_ptr,
                                std::uint32_t query_len, std::uint32_t query_id_ptr,
                                std::uint32_t nodes_len_ptr, std::uint32_t error_ptr) {
  const std::string text = guest_utf8(context, query_ptr, query_len);
  const auto query = cluster::TagQuery::parse(text);
  if (!query) {
    store_u64(context, error_ptr, add_error(context, query.error().message));
    return kFailed;
  }
  std::vector<std::uint64_t> found;
  if (const DistributedNode* node = cluster_of(context)) {
    for (const auto& info : node->nodes()) {
      if (query->matches(info.tags)) found.push_back(info.id);
    }
  } else if (query->matches({})) {
    found.push_back(0);  // the lone node has no tags
  }
  if (!context.memory().try_store(nodes_len_ptr, static_cast<std::uint32_t>(found.size()))) {
    fail("nodes_len pointer out of bounds");
  }
  store_u64(context, query_id_ptr, context.node_lookups.add(std::move(found)));
  return kOk;
}

// copy_lookup_nodes_results(query_id, nodes_ptr, nodes_len, error_ptr) -> i32: copies up to
// nodes_len ids of the lookup and forgets it; returns how many, or -1 and an error id for an
// unknown lookup.
std::uint32_t copy_lookup_nodes_results(HostContext& context, std::uint64_t query_id,
                                        std::uint32_t nodes_ptr, std::uint32_t nodes_len,
                                        std::uint32_t error_ptr) {
  const auto* found = context.node_lookups.get(query_id);
  if (found == nullptr) {
    store_u64(context, error_ptr,
              add_error(context, fmt::format("node lookup {} does not exist", query_id)));
    return static_cast<std::uint32_t>(-1);
  }
  const std::vector<std::uint64_t> ids = *found;
  context.node_lookups.remove(query_id);
  const std::size_t count = std::min<std::size_t>(ids.size(), nodes_len);
  for (std::size_t i = 0; i < count; ++i) {
    store_u64(context, static_cast<std::uint32_t>(nodes_ptr + i * 8), ids[i]);
  }
  return static_cast<std::uint32_t>(count);
}

// spawn(node, config, module, func, func_len, params, params_len, id_ptr) -> i32: 0 and the
// process id; else an error id and 1 (no such node), 2 (no such module), 9027 (the node could
// not be reached or did not answer) or, beyond Lunatic, 1 with the node's reason when it
// refused (its permissions, a module it cannot compile).
std::uint32_t spawn(HostContext& context, std::uint64_t node, std::uint64_t config_id,
                    std::uint64_t module, std::uint32_t func, std::uint32_t func_len,
                    std::uint32_t params, std::uint32_t params_len, std::uint32_t id_ptr) {
  Environment& environment = environment_of(context);
  if (!context.memory().try_bytes(id_ptr, 8)) fail("id pointer out of bounds");
  DistributedNode* cluster = cluster_of(context);
  if (node != this_node(context) && (cluster == nullptr || !cluster->has_node(node))) {
    store_u64(context, id_ptr, add_error(context, "Node does not exist."));
    return kSpawnNoSuchNode;
  }
  auto loaded = environment.module_by_id(module);
  if (!loaded) {
    store_u64(context, id_ptr, add_error(context, "Module does not exist."));
    return kSpawnNoSuchModule;
  }
  SpawnRequest request = spawn_request(context, static_cast<std::int64_t>(config_id),
                                       std::move(loaded), func, func_len, params, params_len);
  if (node != this_node(context)) {
    const RemoteSpawn spawned = cluster->spawn(node, request, *context.blocking);
    store_u64(context, id_ptr,
              spawned.code == kOk ? spawned.process : add_error(context, spawned.error));
    return spawned.code;
  }
  auto id = environment.spawn(std::move(request));
  if (!id) fail(id.error().message);
  store_u64(context, id_ptr, *id);
  return kOk;
}

// Sends the scratch message to a process of another node. Returns the codes of `send`.
std::uint32_t send_remote(HostContext& context, DistributedNode& cluster, std::uint64_t node,
                          std::uint64_t process_id) {
  const std::unique_ptr<runtime::Message> message = std::move(context.scratch);
  return cluster.send(node, context.process->id(), process_id, *message);
}

// send(node, process) -> i32: 0 sent, 1 no such process, 2 no such node, 9027 the node's
// queue is full; beyond Lunatic, 3 when a local receiver's mailbox is full (the message is
// dropped). A message to another node is not acknowledged: 1 comes for a process that node
// has reported gone. Traps: no message, or one with resources.
std::uint32_t send(HostContext& context, std::uint64_t node, std::uint64_t process_id) {
  Environment& environment = environment_of(context);
  if (!context.scratch) fail("no message to send");
  if (!context.scratch->resources.empty()) fail("cannot send resources to remote nodes");
  if (node != this_node(context)) {
    DistributedNode* cluster = cluster_of(context);
    if (cluster == nullptr) return kNoSuchNode;
    return send_remote(context, *cluster, node, process_id);
  }
  auto target = environment.scheduler().find(process_id);
  if (!target) {
    context.scratch.reset();
    return kNoSuchProcess;
  }
  switch (target->send(std::move(context.scratch))) {
    case runtime::Process::Delivery::kQueued:
      return kOk;
    case runtime::Process::Delivery::kDead:
      return kNoSuchProcess;
    case runtime::Process::Delivery::kMailboxFull:
      break;
  }
  return kRemoteMailboxFull;
}

// send_receive_skip_search(node, process, tag, timeout_ms) -> i32: sends, then waits for a
// reply tagged `tag` among the messages that arrive after the send: 0, 9027 when the timeout
// passes first, or the codes of `send` when nothing was sent.
std::uint32_t send_receive_skip_search(HostContext& context, std::uint64_t node,
                                       std::uint64_t process_id, std::uint64_t tag,
                                       std::uint64_t timeout_ms) {
  Environment& environment = environment_of(context);
  if (!context.scratch) fail("no message to send");
  if (node != this_node(context)) {
    DistributedNode* cluster = cluster_of(context);
    if (cluster == nullptr) return kNoSuchNode;
    if (!context.scratch->resources.empty()) fail("cannot send resources to remote nodes");
    // Counted before the send: the reply may arrive before this process waits for it.
    const std::size_t queued_before = context.process->mailbox_size();
    const std::uint32_t sent = send_remote(context, *cluster, node, process_id);
    if (sent != kOk) return sent;
    return receive_reply(context, static_cast<std::int64_t>(tag), timeout_ms, queued_before);
  }
  if (!environment.scheduler().find(process_id)) return kNoSuchProcess;
  const std::uint32_t result = distributed_send_receive(context, process_id, tag, timeout_ms);
  return result == kMailboxFull ? kRemoteMailboxFull : result;
}

}  // namespace

std::vector<engine::ImportFunction> distributed_functions() {
  constexpr ImportName m{"lunatic::distributed"};
  return {
      host_function<&nodes_count, m, "nodes_count">(),
      host_function<&get_nodes, m, "get_nodes">(),
      host_function<&node_id, m, "node_id">(),
      host_function<&module_id, m, "module_id">(),
      host_function<&exec_lookup_nodes, m, "exec_lookup_nodes">(),
      host_function<&copy_lookup_nodes_results, m, "copy_lookup_nodes_results">(),
      host_function<&spawn, m, "spawn">(),
      host_function<&send, m, "send">(),
      host_function<&send_receive_skip_search, m, "send_receive_skip_search">(),
  };
}

}  // namespace lunatic::host
