// lunatic::global_registry: register, look up and remove process names that every node sees
// (host/global_registry.hpp). Each call may be a round trip to the membership store; the process
// waits for it as for any blocking call.
#include "host/global_registry_api.hpp"

#include <fmt/core.h>

#include "cluster/global_names.hpp"
#include "host/distributed_node.hpp"
#include "host/environment.hpp"
#include "host/guest_abi.hpp"
#include "host/return_codes.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::host {
namespace {

constexpr std::uint32_t kNameTaken = 1;
constexpr std::uint32_t kNotOfThisNode = 2;

// The name, UTF-8, 1 to kMaxGlobalName bytes. Traps otherwise.
std::string global_name(HostContext& context, std::uint32_t ptr, std::uint32_t len) {
  std::string name = guest_utf8(context, ptr, len);
  if (name.empty() || name.size() > cluster::kMaxGlobalName) {
    fail(fmt::format("a global name has 1 to {} bytes, not {}", cluster::kMaxGlobalName,
                     name.size()));
  }
  return name;
}

std::uint32_t store_failed(Environment& environment, const Error& error) {
  environment.log(LogLevel::kWarn, "global registry: " + error.message);
  return kConnectionError;
}

// put(name: i32, name_len: i32, process: i64, holder_ptr: i32) -> i32: registers the process,
// which must be one of this node's, under the name unless it is taken. 0: registered; 1: taken,
// its holder's id written to holder_ptr; 2: the process is not a living process of this node;
// 9027: the membership store could not be reached.
// Traps: the name out of bounds, not UTF-8, empty or over 1024 bytes; holder_ptr out of bounds.
std::uint32_t put(HostContext& context, std::uint32_t name_ptr, std::uint32_t name_len,
                  std::uint64_t process, std::uint32_t holder_ptr) {
  Environment& environment = environment_of(context);
  const std::string name = global_name(context, name_ptr, name_len);
  if (!context.memory().try_bytes(holder_ptr, 8)) fail("pointer out of bounds");
  const DistributedNode* node = environment.distributed();
  if ((node != nullptr && node->is_remote(process)) || !environment.scheduler().find(process)) {
    return kNotOfThisNode;
  }
  auto holder = environment.global_registry().put(*context.blocking, name, process);
  if (!holder) return store_failed(environment, holder.error());
  store_u64(context, holder_ptr, *holder);
  return *holder == process ? kOk : kNameTaken;
}

// get(name: i32, name_len: i32, process_ptr: i32) -> i32: 0 and the holder's id written, 1 when
// nobody holds the name, 9027 when the store could not be reached.
// Traps: the name as for put; process_ptr out of bounds.
std::uint32_t get(HostContext& context, std::uint32_t name_ptr, std::uint32_t name_len,
                  std::uint32_t process_ptr) {
  Environment& environment = environment_of(context);
  const std::string name = global_name(context, name_ptr, name_len);
  if (!context.memory().try_bytes(process_ptr, 8)) fail("pointer out of bounds");
  auto holder = environment.global_registry().get(*context.blocking, name);
  if (!holder) return store_failed(environment, holder.error());
  if (!*holder) return kNotRegistered;
  store_u64(context, process_ptr, **holder);
  return kOk;
}

// remove(name: i32, name_len: i32, process: i64) -> i32: 0 when the process held the name and
// no longer does, 1 when it did not hold it, 9027 when the store could not be reached.
// Traps: the name as for put.
std::uint32_t remove(HostContext& context, std::uint32_t name_ptr, std::uint32_t name_len,
                     std::uint64_t process) {
  Environment& environment = environment_of(context);
  const std::string name = global_name(context, name_ptr, name_len);
  auto removed = environment.global_registry().remove(*context.blocking, name, process);
  if (!removed) return store_failed(environment, removed.error());
  return *removed ? kOk : kNameTaken;
}

}  // namespace

std::vector<engine::ImportFunction> global_registry_functions() {
  constexpr ImportName m{"lunatic::global_registry"};
  return {
      host_function<&put, m, "put">(),
      host_function<&get, m, "get">(),
      host_function<&remove, m, "remove">(),
  };
}

}  // namespace lunatic::host
