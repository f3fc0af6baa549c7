// lunatic::registry, as Lunatic 0.13 defines it: one name table for the whole node, shared
// with lunatic::process::get_or_spawn (whose lookup and spawn are one step under its lock).
// As in Lunatic, an entry is a (node id, process id) pair that nothing checks or expires: a
// name outlives its process until someone removes or replaces it.
#include "host/registry_api.hpp"

#include <mutex>

#include "host/environment.hpp"
#include "host/guest_abi.hpp"

namespace lunatic::host {
namespace {

// put(name: i32, name_len: i32, node_id: i64, process_id: i64): registers (or replaces) the name.
// Traps: the name out of bounds or not UTF-8.
void put(HostContext& context, std::uint32_t name, std::uint32_t name_len, std::uint64_t node_id,
         std::uint64_t process_id) {
  Environment& environment = environment_of(context);
  std::string key = guest_utf8(context, name, name_len, "lunatic::registry::put");
  std::lock_guard guard(environment.registry_mutex());
  environment.registry()[std::move(key)] = {node_id, process_id};
}

// get(name: i32, name_len: i32, node_id_ptr: i32, process_id_ptr: i32) -> i32: 0 and the entry
// written to the pointers, or 1 when the name is not registered.
// Traps: the name or a pointer out of bounds, the name not UTF-8.
std::uint32_t get(HostContext& context, std::uint32_t name, std::uint32_t name_len,
                  std::uint32_t node_id_ptr, std::uint32_t process_id_ptr) {
  Environment& environment = environment_of(context);
  const std::string key = guest_utf8(context, name, name_len, "lunatic::registry::get");
  std::pair<std::uint64_t, std::uint64_t> entry;
  {
    std::lock_guard guard(environment.registry_mutex());
    auto it = environment.registry().find(key);
    if (it == environment.registry().end()) return 1;
    entry = it->second;
  }
  store_u64(context, node_id_ptr, entry.first, "lunatic::registry::get");
  store_u64(context, process_id_ptr, entry.second, "lunatic::registry::get");
  return 0;
}

// remove(name: i32, name_len: i32): forgets the name if it is registered.
// Traps: the name out of bounds or not UTF-8.
void remove(HostContext& context, std::uint32_t name, std::uint32_t name_len) {
  Environment& environment = environment_of(context);
  const std::string key = guest_utf8(context, name, name_len, "lunatic::registry::remove");
  std::lock_guard guard(environment.registry_mutex());
  environment.registry().erase(key);
}

}  // namespace

std::vector<HostFunction> registry_functions() {
  const std::string m = "lunatic::registry";
  return {
      host_function<&put>(m, "put"),
      host_function<&get>(m, "get"),
      host_function<&remove>(m, "remove"),
  };
}

}  // namespace lunatic::host
