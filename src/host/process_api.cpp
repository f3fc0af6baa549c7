// lunatic::process: modules, configs, spawning, links, monitors and kill, as Lunatic 0.13
// defines them (return codes and traps are documented in docs/abi.md).
#include "host/process_api.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <string_view>

#include <fmt/core.h>

#include "common/byte_size.hpp"
#include "engine/loaded_module.hpp"
#include "engine/memory/linear_memory.hpp"
#include "host/distributed_node.hpp"
#include "host/environment.hpp"
#include "host/guest_abi.hpp"
#include "host/registry_api.hpp"
#include "host/return_codes.hpp"
#include "runtime/process.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::host {
namespace {

constexpr std::uint32_t kParamRecordSize = 17;
// The Web's limit on a function's parameters; no function a guest spawns has more.
constexpr std::uint32_t kMaxSpawnParams = 1000;
// The largest module compile_module takes: its copy, its IR and its C all live in the runtime's
// memory while it compiles (a 1 MiB module takes about a minute of compiler time already).
constexpr std::uint32_t kMaxCompiledModuleBytes = 64u << 20;
// The runtime's own memory while it translates a module to C (libwabt's tree of the code, the
// C text), per byte of the module: up to 146 measured for code that is all blocks, 107 for
// local.get and i32.add (scripts/measure-translation-memory.sh). The compile holds this
// much of the caller's guest memory budget while it runs.
constexpr std::uint64_t kTranslationBytesPerModuleByte = 160;

// compile_module(data: i32, len: i32, id_ptr: i32) -> i32
// Compiles on the runtime's compile threads while the caller waits (a kill ends the wait and
// the compile). Returns: 0 and the module id at id_ptr; 1 and an error id for bytes that are
// not a usable module, a module over kMaxCompiledModuleBytes, a compile limit reached (the
// config's max_compiles) or a translation the memory budget cannot hold; -1 without permission.
// Traps: data or id_ptr out of bounds.
std::uint32_t compile_module(HostContext& context, std::uint32_t data, std::uint32_t len,
                             std::uint32_t id_ptr) {
  Environment& environment = environment_of(context);
  if (!context.config->can_compile_modules) return static_cast<std::uint32_t>(-1);
  auto bytes = context.memory().try_bytes(data, len);
  if (!bytes || !context.memory().try_bytes(id_ptr, 8)) {
    fail("pointer out of bounds");
  }
  if (len > kMaxCompiledModuleBytes) {
    store_u64(
        context, id_ptr,
        add_error(context, fmt::format("the module is {}, over the {} a process may compile",
                                       human_bytes(len), human_bytes(kMaxCompiledModuleBytes))));
    return kFailed;
  }
  if (auto counted = context.budget->count_compile(); !counted) {
    store_u64(context, id_ptr, add_error(context, "cannot compile: " + counted.error().message));
    return kFailed;
  }
  BudgetCharge translation;
  const std::uint64_t translation_bytes = kTranslationBytesPerModuleByte * len;
  if (auto held = translation.hold(context.budget, translation_bytes, privilege_of(context));
      !held) {
    store_u64(context, id_ptr,
              add_error(context, fmt::format("cannot compile: translating a module of {} takes up "
                                             "to {} of memory: {}",
                                             human_bytes(len), human_bytes(translation_bytes),
                                             held.error().message)));
    return kFailed;
  }
  std::string wasm(reinterpret_cast<const char*>(bytes->data()), bytes->size());
  auto module = environment.compile(std::move(wasm), *context.blocking);
  if (!module) {
    store_u64(context, id_ptr, add_error(context, module.error().message));
    return kFailed;
  }
  store_u64(context, id_ptr, context.modules.add(std::move(*module)));
  return kOk;
}

// drop_module(id: i64). Traps: unknown id.
void drop_module(HostContext& context, std::uint64_t id) {
  if (!context.modules.remove(id)) fail(fmt::format("module id {} does not exist", id));
}

// Capabilities only shrink (docs/security-model.md): a config may grant only what the process
// that sets it has itself. Lunatic has no such rule; a process with every permission (the main
// process) sees no difference.
[[noreturn]] void fail_grant(std::string_view what) {
  fail(fmt::format("cannot grant {} this process does not have itself", what));
}

// A memory limit as it can matter: no wasm32 memory grows past 4 GiB.
std::uint64_t effective_memory_limit(std::uint64_t bytes) {
  return std::min<std::uint64_t>(bytes, engine::kMaxWasmPages * engine::kWasmPageSize);
}

// create_config() -> i64: a config that denies everything, or -1 without permission or when the
// config would pass the caller's guest memory limit. Its limits
// start at the creator's own (memory at most Lunatic's default, u32::MAX bytes), its network
// access is the creator's.
std::uint64_t create_config(HostContext& context) {
  environment_of(context);
  if (!context.config->can_create_configs) return static_cast<std::uint64_t>(-1);
  ProcessConfig config;
  config.max_memory = std::min(config.max_memory, context.config->max_memory);
  config.max_fuel = context.config->max_fuel;
  config.network = context.config->network;  // a restricted process cannot make an unrestricted one
  // Refused like a missing permission: a config is how a program bounds its children, and a
  // program near its memory limit should see the refusal rather than trap.
  const std::uint64_t id = context.configs.add(std::move(config));
  const std::uint64_t held = context.config_bytes.bytes() + ProcessConfig::object_bytes();
  if (!context.config_bytes.hold(context.budget, held, privilege_of(context))) {
    context.configs.remove(id);
    return static_cast<std::uint64_t>(-1);
  }
  return id;
}

void drop_config(HostContext& context, std::uint64_t id) {
  auto config = context.configs.remove(id);
  if (!config) fail(fmt::format("config id {} does not exist", id));
  hold_config_bytes(context, -static_cast<std::int64_t>(config->held_bytes()));
}

// config_set_max_memory(config, bytes). Traps: more than the caller's own max_memory.
void config_set_max_memory(HostContext& context, std::uint64_t id, std::uint64_t bytes) {
  ProcessConfig& config = config_of(context, id);
  if (effective_memory_limit(bytes) > effective_memory_limit(context.config->max_memory)) {
    fail_grant(fmt::format("{} bytes of memory", bytes));
  }
  config.max_memory = bytes;
}
std::uint64_t config_get_max_memory(HostContext& context, std::uint64_t id) {
  return config_of(context, id).max_memory;
}
// config_set_max_fuel(config, fuel): 0 is unlimited. Traps: the caller's own fuel is limited
// and this is unlimited or more.
void config_set_max_fuel(HostContext& context, std::uint64_t id, std::uint64_t fuel) {
  ProcessConfig& config = config_of(context, id);
  const std::uint64_t own = context.config->max_fuel;
  if (own != 0 && (fuel == 0 || fuel > own)) {
    fail_grant(fuel == 0 ? std::string("unlimited fuel") : fmt::format("{} units of fuel", fuel));
  }
  config.max_fuel = fuel;
}
std::uint64_t config_get_max_fuel(HostContext& context, std::uint64_t id) {
  return config_of(context, id).max_fuel;
}

// A permission flag of a config: any non-zero value allows. Traps: allowing what the caller
// may not do itself.
void set_permission(HostContext& context, std::uint64_t id, std::uint32_t can,
                    bool ProcessConfig::*permission, const char* what) {
  ProcessConfig& config = config_of(context, id);
  if (can != 0 && !(context.config.get()->*permission)) fail_grant(what);
  config.*permission = can != 0;
}

std::uint32_t config_can_compile_modules(HostContext& context, std::uint64_t id) {
  return config_of(context, id).can_compile_modules;
}
void config_set_can_compile_modules(HostContext& context, std::uint64_t id, std::uint32_t can) {
  set_permission(context, id, can, &ProcessConfig::can_compile_modules, "compiling modules");
}
std::uint32_t config_can_create_configs(HostContext& context, std::uint64_t id) {
  return config_of(context, id).can_create_configs;
}
void config_set_can_create_configs(HostContext& context, std::uint64_t id, std::uint32_t can) {
  set_permission(context, id, can, &ProcessConfig::can_create_configs, "creating configs");
}
std::uint32_t config_can_spawn_processes(HostContext& context, std::uint64_t id) {
  return config_of(context, id).can_spawn_processes;
}
void config_set_can_spawn_processes(HostContext& context, std::uint64_t id, std::uint32_t can) {
  set_permission(context, id, can, &ProcessConfig::can_spawn_processes, "spawning processes");
}

// Beyond Lunatic: limits a config sets (docs/abi.md). A limit only ever restricts, so any
// process that holds the config may set any value: the limits above the child still hold.
std::uint64_t& limit_of(HostContext& context, std::uint64_t id,
                        std::uint64_t ProcessConfig::*limit) {
  return config_of(context, id).*limit;
}

// config_set_max_processes(config, count): the child's subtree (it and all it spawns) holds at
// most `count` live processes; 0: no limit of its own.
void config_set_max_processes(HostContext& context, std::uint64_t id, std::uint64_t count) {
  limit_of(context, id, &ProcessConfig::max_processes) = count;
}
std::uint64_t config_get_max_processes(HostContext& context, std::uint64_t id) {
  return limit_of(context, id, &ProcessConfig::max_processes);
}
// config_set_max_total_memory(config, bytes): the child's subtree holds at most `bytes` of guest
// memory (linear memories, tables and fiber stacks) in all; 0: no limit of its own.
void config_set_max_total_memory(HostContext& context, std::uint64_t id, std::uint64_t bytes) {
  limit_of(context, id, &ProcessConfig::max_total_memory) = bytes;
}
std::uint64_t config_get_max_total_memory(HostContext& context, std::uint64_t id) {
  return limit_of(context, id, &ProcessConfig::max_total_memory);
}
// config_set_max_compiles(config, count): the child's subtree compiles at most `count` modules
// (compile_module calls that succeed or fail); 0: no limit of its own.
void config_set_max_compiles(HostContext& context, std::uint64_t id, std::uint64_t count) {
  limit_of(context, id, &ProcessConfig::max_compiles) = count;
}
std::uint64_t config_get_max_compiles(HostContext& context, std::uint64_t id) {
  return limit_of(context, id, &ProcessConfig::max_compiles);
}
// config_set_max_mailbox_messages / config_set_max_mailbox_bytes(config, limit): the child's
// mailbox holds at most this many data messages / bytes of them; a send beyond is refused
// (send returns 2). 0: unbounded.
void config_set_max_mailbox_messages(HostContext& context, std::uint64_t id, std::uint64_t count) {
  limit_of(context, id, &ProcessConfig::max_mailbox_messages) = count;
}
std::uint64_t config_get_max_mailbox_messages(HostContext& context, std::uint64_t id) {
  return limit_of(context, id, &ProcessConfig::max_mailbox_messages);
}
void config_set_max_mailbox_bytes(HostContext& context, std::uint64_t id, std::uint64_t bytes) {
  limit_of(context, id, &ProcessConfig::max_mailbox_bytes) = bytes;
}
std::uint64_t config_get_max_mailbox_bytes(HostContext& context, std::uint64_t id) {
  return limit_of(context, id, &ProcessConfig::max_mailbox_bytes);
}

// Beyond Lunatic: network permissions (net/network_policy.hpp).
// config_can_use_network(config) -> i32: 1 while unrestricted (every config starts so, unless
// its creator was restricted), 0 once restricted.
std::uint32_t config_can_use_network(HostContext& context, std::uint64_t id) {
  return config_of(context, id).network.unrestricted() ? 1 : 0;
}

// config_set_can_use_network(config, can): 1 allows everything, 0 denies everything (rules added
// afterwards allow some). Traps: granting by a process that is restricted itself.
void config_set_can_use_network(HostContext& context, std::uint64_t id, std::uint32_t can) {
  ProcessConfig& config = config_of(context, id);
  if (can == 0) {
    config.network.deny_all();
    return;
  }
  if (!context.config->network.unrestricted()) {
    fail(
        "this process's own network access is "
        "restricted");
  }
  config.network.allow_all();
}

// config_allow_network(config, access, addr_type, addr_ptr, prefix_len, port_min, port_max):
// restricts the config if it was not, and allows connecting (access 0) or binding (1) to
// addresses in addr/prefix_len with ports in [port_min, port_max]. Traps: a bad access, address
// type, prefix or port range, the address out of bounds, or a caller that is restricted itself.
void config_allow_network(HostContext& context, std::uint64_t id, std::uint32_t access,
                          std::uint32_t type, std::uint32_t address_ptr,
                          std::uint32_t prefix_length, std::uint32_t port_min,
                          std::uint32_t port_max) {
  ProcessConfig& config = config_of(context, id);
  if (!context.config->network.unrestricted()) {
    fail("this process's own network access is restricted");
  }
  if (access > 1) fail(fmt::format("access {} is neither 0 (connect) nor 1 (bind)", access));
  if (type != 4 && type != 6) fail(fmt::format("address type {} is neither 4 nor 6", type));
  const std::uint32_t bytes = type == 4 ? 4 : 16;
  if (prefix_length > bytes * 8) fail(fmt::format("prefix length {} is too long", prefix_length));
  if (port_min > port_max || port_max > 65535)
    fail(fmt::format("bad port range {}-{}", port_min, port_max));
  auto address = context.memory().try_bytes(address_ptr, bytes);
  if (!address) fail("address out of bounds");
  net::NetworkRule rule;
  rule.access = static_cast<net::NetworkAccess>(access);
  rule.family = type == 4 ? AF_INET : AF_INET6;
  std::memcpy(rule.address, address->data(), bytes);
  rule.prefix_length = prefix_length;
  rule.port_min = static_cast<std::uint16_t>(port_min);
  rule.port_max = static_cast<std::uint16_t>(port_max);
  config.network.allow(rule);
}

}  // namespace

SpawnRequest spawn_request(HostContext& context, std::int64_t config_id,
                           std::shared_ptr<const engine::Module> module, std::uint32_t func,
                           std::uint32_t func_len, std::uint32_t params, std::uint32_t params_len) {
  if (!context.config->can_spawn_processes) {
    fail("the process has no permission to spawn processes");
  }
  if (!context.initialized) fail("cannot spawn during module initialization");
  SpawnRequest request;
  if (config_id == -1) {
    request.config = context.config;  // and the spawner's budget: the child joins its subtree
  } else {
    request.config = std::make_shared<const ProcessConfig>(
        config_of(context, static_cast<std::uint64_t>(config_id)));
    request.own_limits = request.config->subtree_limits();
  }
  request.budget = context.budget;
  request.spawner_privilege = context.process->execution().privilege;
  request.module = std::move(module);
  request.output = context.output;  // a captured process's children are captured with it
  request.function = guest_utf8(context, func, func_len);
  auto records = context.memory().try_bytes(params, params_len);
  if (!records) fail("parameters out of bounds");
  if (params_len % kParamRecordSize != 0) {
    fail(fmt::format("parameters must be 17-byte records, {} bytes remained",
                     params_len % kParamRecordSize));
  }
  if (params_len / kParamRecordSize > kMaxSpawnParams) {
    fail(fmt::format("{} parameters, but a spawned function takes at most {}",
                     params_len / kParamRecordSize, kMaxSpawnParams));
  }
  request.params.reserve(records->size() / kParamRecordSize);
  for (std::size_t offset = 0; offset < records->size(); offset += kParamRecordSize) {
    const std::uint8_t type = (*records)[offset];
    std::uint64_t value;
    std::memcpy(&value, records->data() + offset + 1, sizeof value);
    const char* name;
    if (type == 0x7F) {
      name = "i32";
      value &= 0xFFFF'FFFF;
    } else if (type == 0x7E) {
      name = "i64";
    } else {
      // 0x7B (v128) is valid in Lunatic, but no module this runtime accepts takes one.
      fail(fmt::format("unsupported parameter type id 0x{:02X}", type));
    }
    if (!request.param_types.empty()) request.param_types += ' ';
    request.param_types += name;
    request.params.push_back(value);
  }
  request.parent = context.process->id();
  return request;
}

std::shared_ptr<const engine::Module> module_of(HostContext& context, std::int64_t module_id) {
  if (module_id == -1) return context.module;
  auto* module = context.modules.get(static_cast<std::uint64_t>(module_id));
  if (module == nullptr) fail(fmt::format("module id {} does not exist", module_id));
  return *module;
}

namespace {

// spawn(link: i64, config: i64, module: i64, func: i32, func_len: i32, params: i32,
//       params_len: i32, id_ptr: i32) -> i32
// Returns: 0 and the process id at id_ptr; 1 and an error id when no process could be made.
std::uint32_t spawn(HostContext& context, std::uint64_t link, std::uint64_t config_id,
                    std::uint64_t module_id, std::uint32_t func, std::uint32_t func_len,
                    std::uint32_t params, std::uint32_t params_len, std::uint32_t id_ptr) {
  Environment& environment = environment_of(context);
  if (!context.memory().try_bytes(id_ptr, 8)) fail("id pointer out of bounds");
  auto module = module_of(context, static_cast<std::int64_t>(module_id));
  SpawnRequest request = spawn_request(context, static_cast<std::int64_t>(config_id),
                                       std::move(module), func, func_len, params, params_len);
  request.link_tag = static_cast<std::int64_t>(link);
  auto id = environment.spawn(std::move(request));
  if (!id) {
    store_u64(context, id_ptr, add_error(context, id.error().message));
    return kFailed;
  }
  store_u64(context, id_ptr, *id);
  return kOk;
}

// get_or_spawn(name, name_len, link, config, module, func, func_len, params, params_len,
//              node_id_ptr, id_ptr) -> i32
// Returns: kFoundRegistered (2) and the registered process when the name is taken; otherwise as
// spawn, and the new process is registered under the name. The lookup and the spawn are one atomic
// step.
std::uint32_t get_or_spawn(HostContext& context, std::uint32_t name, std::uint32_t name_len,
                           std::uint64_t link, std::uint64_t config_id, std::uint64_t module_id,
                           std::uint32_t func, std::uint32_t func_len, std::uint32_t params,
                           std::uint32_t params_len, std::uint32_t node_id_ptr,
                           std::uint32_t id_ptr) {
  Environment& environment = environment_of(context);
  const std::string key = guest_utf8(context, name, name_len);
  if (!context.memory().try_bytes(id_ptr, 8) || !context.memory().try_bytes(node_id_ptr, 8)) {
    fail("pointer out of bounds");
  }
  environment.scheduler().counters().add(runtime::Counter::kRegistryReads);
  std::lock_guard guard(environment.registry_mutex());
  auto& registry = environment.registry();
  if (auto it = registry.find(key); it != registry.end()) {
    store_u64(context, node_id_ptr, it->second.node);
    store_u64(context, id_ptr, it->second.process);
    return kFoundRegistered;
  }
  RegistryEntry entry;
  hold_entry(context, entry, key);
  auto module = module_of(context, static_cast<std::int64_t>(module_id));
  SpawnRequest request = spawn_request(context, static_cast<std::int64_t>(config_id),
                                       std::move(module), func, func_len, params, params_len);
  request.link_tag = static_cast<std::int64_t>(link);
  auto id = environment.spawn(std::move(request));
  store_u64(context, node_id_ptr, 0);
  if (!id) {
    store_u64(context, id_ptr, add_error(context, id.error().message));
    return kFailed;
  }
  entry.process = *id;
  environment.scheduler().counters().add(runtime::Counter::kRegistryWrites);
  registry[key] = std::move(entry);
  store_u64(context, id_ptr, *id);
  return kOk;
}

// sleep_ms(ms: i64): suspends only the calling process.
void sleep_ms(HostContext& context, std::uint64_t millis) {
  context.blocking->sleep_until(deadline_in(millis));
}

// die_when_link_dies(trap: i32): 0 turns a linked failure into a link-died message.
// A process that traps link deaths is a supervisor: it may use part of the runtime's reserve,
// so it can still restart children when a runaway subtree has spent the rest.
void die_when_link_dies(HostContext& context, std::uint32_t trap) {
  environment_of(context);
  context.process->set_die_when_link_dies(trap != 0);
  Privilege& privilege = context.process->execution().privilege;
  if (privilege != Privilege::kRoot)
    privilege = trap != 0 ? Privilege::kNormal : Privilege::kSupervisor;
}

std::uint64_t process_id(HostContext& context) {
  environment_of(context);
  return context.process->id();
}

std::uint64_t environment_id(HostContext& context) { return environment_of(context).id(); }

// The node that links and monitors to `process_id` go through, when it is another node's.
DistributedNode* remote_node(Environment& environment, std::uint64_t process_id) {
  DistributedNode* node = environment.distributed();
  return node != nullptr && node->is_remote(process_id) ? node : nullptr;
}

// link(tag: i64, process: i64). Linking to a process that does not exist counts as its failure.
// Another node's process is linked there; when its node goes down, the link fires.
void link(HostContext& context, std::uint64_t tag, std::uint64_t process_id) {
  Environment& environment = environment_of(context);
  runtime::Process& self = *context.process;
  if (DistributedNode* node = remote_node(environment, process_id)) {
    node->link(self, process_id, static_cast<std::int64_t>(tag));
    self.check_killed();
    return;
  }
  auto peer = environment.scheduler().find(process_id);
  if (peer && peer->add_link(self.id(), static_cast<std::int64_t>(tag))) {
    self.add_link(process_id, static_cast<std::int64_t>(tag));
    return;
  }
  self.link_died(process_id, static_cast<std::int64_t>(tag), runtime::DeathReason::kNoProcess);
  self.check_killed();
}

void unlink(HostContext& context, std::uint64_t process_id) {
  Environment& environment = environment_of(context);
  if (DistributedNode* node = remote_node(environment, process_id)) {
    node->unlink(*context.process, process_id);
    return;
  }
  if (auto peer = environment.scheduler().find(process_id))
    peer->remove_link(context.process->id());
  context.process->remove_link(process_id);
}

// monitor(process: i64): the caller gets a process-died message when it dies (Lunatic 0.13
// sends nothing for a process that does not exist). Another node's process: the message also
// comes when its node goes down, and at once when it does not exist (as Erlang's noproc).
void monitor(HostContext& context, std::uint64_t process_id) {
  Environment& environment = environment_of(context);
  if (DistributedNode* node = remote_node(environment, process_id)) {
    node->monitor(*context.process, process_id);
    return;
  }
  if (auto peer = environment.scheduler().find(process_id))
    peer->add_monitor(context.process->id());
}

void stop_monitoring(HostContext& context, std::uint64_t process_id) {
  Environment& environment = environment_of(context);
  if (DistributedNode* node = remote_node(environment, process_id)) {
    node->stop_monitoring(*context.process, process_id);
    return;
  }
  if (auto peer = environment.scheduler().find(process_id))
    peer->remove_monitor(context.process->id());
}

// kill(process: i64): the process ends as a failure; unknown ids are ignored. An id of another
// node's process is killed there.
void kill(HostContext& context, std::uint64_t process_id) {
  Environment& environment = environment_of(context);
  if (DistributedNode* node = remote_node(environment, process_id)) {
    node->kill(process_id);
    return;
  }
  if (auto peer = environment.scheduler().find(process_id)) {
    peer->kill(fmt::format("killed by process {}", context.process->id()));
  }
  context.process->check_killed();  // killing oneself takes effect at once
}

// exists(process: i64) -> i32. An id of another node's process: whether it may exist (its node
// is a member and no message to it was reported undeliverable); finding out for sure would take
// a round trip.
std::uint32_t exists(HostContext& context, std::uint64_t process_id) {
  Environment& environment = environment_of(context);
  if (DistributedNode* node = remote_node(environment, process_id)) {
    return node->may_exist(process_id);
  }
  return environment.scheduler().find(process_id) != nullptr;
}

}  // namespace

std::vector<engine::ImportFunction> process_functions() {
  constexpr ImportName m{"lunatic::process"};
  return {
      host_function<&compile_module, m, "compile_module">(),
      host_function<&drop_module, m, "drop_module">(),
      host_function<&create_config, m, "create_config">(),
      host_function<&drop_config, m, "drop_config">(),
      host_function<&config_set_max_memory, m, "config_set_max_memory">(),
      host_function<&config_get_max_memory, m, "config_get_max_memory">(),
      host_function<&config_set_max_fuel, m, "config_set_max_fuel">(),
      host_function<&config_get_max_fuel, m, "config_get_max_fuel">(),
      host_function<&config_can_compile_modules, m, "config_can_compile_modules">(),
      host_function<&config_set_can_compile_modules, m, "config_set_can_compile_modules">(),
      host_function<&config_can_create_configs, m, "config_can_create_configs">(),
      host_function<&config_set_can_create_configs, m, "config_set_can_create_configs">(),
      host_function<&config_can_spawn_processes, m, "config_can_spawn_processes">(),
      host_function<&config_set_can_spawn_processes, m, "config_set_can_spawn_processes">(),
      host_function<&config_can_use_network, m, "config_can_use_network">(),
      host_function<&config_set_can_use_network, m, "config_set_can_use_network">(),
      host_function<&config_allow_network, m, "config_allow_network">(),
      host_function<&config_set_max_processes, m, "config_set_max_processes">(),
      host_function<&config_get_max_processes, m, "config_get_max_processes">(),
      host_function<&config_set_max_total_memory, m, "config_set_max_total_memory">(),
      host_function<&config_get_max_total_memory, m, "config_get_max_total_memory">(),
      host_function<&config_set_max_compiles, m, "config_set_max_compiles">(),
      host_function<&config_get_max_compiles, m, "config_get_max_compiles">(),
      host_function<&config_set_max_mailbox_messages, m, "config_set_max_mailbox_messages">(),
      host_function<&config_get_max_mailbox_messages, m, "config_get_max_mailbox_messages">(),
      host_function<&config_set_max_mailbox_bytes, m, "config_set_max_mailbox_bytes">(),
      host_function<&config_get_max_mailbox_bytes, m, "config_get_max_mailbox_bytes">(),
      host_function<&spawn, m, "spawn">(),
      host_function<&get_or_spawn, m, "get_or_spawn">(),
      host_function<&sleep_ms, m, "sleep_ms">(),
      host_function<&die_when_link_dies, m, "die_when_link_dies">(),
      host_function<&process_id, m, "process_id">(),
      host_function<&environment_id, m, "environment_id">(),
      host_function<&link, m, "link">(),
      host_function<&unlink, m, "unlink">(),
      host_function<&monitor, m, "monitor">(),
      host_function<&stop_monitoring, m, "stop_monitoring">(),
      host_function<&kill, m, "kill">(),
      host_function<&exists, m, "exists">(),
  };
}

}  // namespace lunatic::host
