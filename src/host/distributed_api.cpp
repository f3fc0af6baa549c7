#include "host/distributed_api.hpp"

#include "host/environment.hpp"
#include "host/guest_abi.hpp"
#include "host/message_api.hpp"
#include "host/process_api.hpp"
#include "host/return_codes.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::host {
namespace {

constexpr std::uint64_t kLocalNode = 0;

std::uint32_t nodes_count(HostContext&) { return 1; }

// get_nodes(ptr: i32, len: i32) -> i32: writes up to len node ids; returns how many.
std::uint32_t get_nodes(HostContext& context, std::uint32_t ptr, std::uint32_t len) {
  if (len == 0) return 0;
  store_u64(context, ptr, kLocalNode);
  return 1;
}

std::uint64_t node_id(HostContext&) { return kLocalNode; }

std::uint64_t module_id(HostContext& context) {
  return environment_of(context).module_id(context.module);
}

// spawn(node, config, module, func, func_len, params, params_len, id_ptr) -> i32: 0 and the
// process id; 1 (no such node) or 2 (no such module) and an error id.
std::uint32_t spawn(HostContext& context, std::uint64_t node, std::uint64_t config_id,
                    std::uint64_t module, std::uint32_t func, std::uint32_t func_len,
                    std::uint32_t params, std::uint32_t params_len, std::uint32_t id_ptr) {
  Environment& environment = environment_of(context);
  if (!context.memory().try_bytes(id_ptr, 8)) fail("id pointer out of bounds");
  if (node != kLocalNode) {
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
  auto id = environment.spawn(std::move(request));
  if (!id) fail(id.error().message);
  store_u64(context, id_ptr, *id);
  return kOk;
}

// send(node, process) -> i32: 0 sent, 1 no such process, 2 no such node; beyond Lunatic, 3
// when the receiver's mailbox is full (the message is dropped).
std::uint32_t send(HostContext& context, std::uint64_t node, std::uint64_t process_id) {
  Environment& environment = environment_of(context);
  if (!context.scratch) fail("no message to send");
  if (!context.scratch->resources.empty()) fail("cannot send resources to remote nodes");
  if (node != kLocalNode) return kNoSuchNode;
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

std::uint32_t send_receive_skip_search(HostContext& context, std::uint64_t node,
                                       std::uint64_t process_id, std::uint64_t tag,
                                       std::uint64_t timeout_ms) {
  Environment& environment = environment_of(context);
  if (!context.scratch) fail("no message to send");
  if (node != kLocalNode) return kNoSuchNode;
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
      host_function<&spawn, m, "spawn">(),
      host_function<&send, m, "send">(),
      host_function<&send_receive_skip_search, m, "send_receive_skip_search">(),
  };
}

}  // namespace lunatic::host
