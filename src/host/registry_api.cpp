// lunatic::registry, as Lunatic 0.13 defines it: one name table for the whole node, shared
// with lunatic::process::get_or_spawn (whose lookup and spawn are one step under its lock).
// As in Lunatic, an entry is a (node id, process id) pair that nothing checks or expires: a
// name outlives its process until someone removes or replaces it.
#include "host/registry_api.hpp"

#include <mutex>

#include <fmt/core.h>

#include "host/environment.hpp"
#include "host/guest_abi.hpp"
#include "host/return_codes.hpp"
#include "runtime/scheduler.hpp"
#include "runtime/trace_recorder.hpp"

namespace lunatic::host {

void hold_entry(HostContext& context, RegistryEntry& entry, const std::string& name) {
  const std::uint64_t bytes = name.size() + RegistryEntry::kOverhead;
  if (auto held = entry.charge.hold(context.budget, bytes, privilege_of(context)); !held) {
    fail(fmt::format("a name of {} bytes: {}", name.size(), held.error().message));
  }
}

namespace {

// put(name: i32, name_len: i32, node_id: i64, process_id: i64): registers (or replaces) the name.
// Traps: the name out of bounds or not UTF-8.
void put(HostContext& context, std::uint32_t name, std::uint32_t name_len, std::uint64_t node_id,
         std::uint64_t process_id) {
  Environment& environment = environment_of(context);
  std::string key = guest_utf8(context, name, name_len);
  RegistryEntry entry{node_id, process_id, {}};
  hold_entry(context, entry, key);
  if (auto* trace = runtime::trace_recorder()) [[unlikely]]
    trace->named(process_id, key);
  environment.scheduler().counters().add(runtime::Counter::kRegistryWrites);
  std::lock_guard guard(environment.registry_mutex());
  environment.registry()[std::move(key)] =
      std::move(entry);  // a replaced entry gives its charge back
}

// get(name: i32, name_len: i32, node_id_ptr: i32, process_id_ptr: i32) -> i32: 0 and the entry
// written to the pointers, or 1 when the name is not registered.
// Traps: the name or a pointer out of bounds, the name not UTF-8.
std::uint32_t get(HostContext& context, std::uint32_t name, std::uint32_t name_len,
                  std::uint32_t node_id_ptr, std::uint32_t process_id_ptr) {
  Environment& environment = environment_of(context);
  const std::string key = guest_utf8(context, name, name_len);
  std::uint64_t node = 0;
  std::uint64_t process = 0;
  environment.scheduler().counters().add(runtime::Counter::kRegistryReads);
  {
    std::lock_guard guard(environment.registry_mutex());
    auto it = environment.registry().find(key);
    if (it == environment.registry().end()) return kNotRegistered;
    node = it->second.node;
    process = it->second.process;
  }
  store_u64(context, node_id_ptr, node);
  store_u64(context, process_id_ptr, process);
  return kOk;
}

// remove(name: i32, name_len: i32): forgets the name if it is registered.
// Traps: the name out of bounds or not UTF-8.
void remove(HostContext& context, std::uint32_t name, std::uint32_t name_len) {
  Environment& environment = environment_of(context);
  const std::string key = guest_utf8(context, name, name_len);
  environment.scheduler().counters().add(runtime::Counter::kRegistryDeletions);
  std::lock_guard guard(environment.registry_mutex());
  environment.registry().erase(key);
}

}  // namespace

std::vector<engine::ImportFunction> registry_functions() {
  constexpr ImportName m{"lunatic::registry"};
  return {
      host_function<&put, m, "put">(),
      host_function<&get, m, "get">(),
      host_function<&remove, m, "remove">(),
  };
}

}  // namespace lunatic::host
