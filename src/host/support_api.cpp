// The small lunatic::* namespaces: error (error strings by id), version (the Lunatic version
// this runtime implements), trap (catching a trap in the guest) and wasi (config arguments,
// environment and directories).
#include "host/support_api.hpp"

#include <cstring>

#include <fmt/core.h>

#include "engine/instance.hpp"
#include "engine/loaded_module.hpp"
#include "host/guest_abi.hpp"
#include "wasi/preopen_grant.hpp"

namespace lunatic::host {
namespace {

const std::string& error_of(HostContext& context, std::uint64_t id, const char* where) {
  const std::string* error = context.errors.get(id);
  if (error == nullptr)
    fail(fmt::format("lunatic::error::{}: error id {} does not exist", where, id));
  return *error;
}

std::uint32_t error_string_size(HostContext& context, std::uint64_t id) {
  return static_cast<std::uint32_t>(error_of(context, id, "string_size").size());
}

void error_to_string(HostContext& context, std::uint64_t id, std::uint32_t ptr) {
  const std::string& error = error_of(context, id, "to_string");
  auto bytes = context.memory().try_bytes(ptr, error.size());
  if (!bytes) fail("lunatic::error::to_string: buffer out of bounds");
  std::memcpy(bytes->data(), error.data(), error.size());
}

void error_drop(HostContext& context, std::uint64_t id) {
  auto error = context.errors.remove(id);
  if (!error) fail(fmt::format("lunatic::error::drop: error id {} does not exist", id));
  // Cannot be refused: it only gives back.
  (void)context.error_bytes.hold(context.budget, context.error_bytes.bytes() - error_bytes(*error),
                                 privilege_of(context));
}

// The Lunatic release whose ABI this runtime implements.
std::uint32_t version_major(HostContext&) { return 0; }
std::uint32_t version_minor(HostContext&) { return 13; }
std::uint32_t version_patch(HostContext&) { return 2; }

// catch(function: i32, pointer: i32) -> i32: calls the guest's `_lunatic_catch_trap(function,
// pointer)`; returns its result, or 0 if it trapped. A kill is not a trap: it still ends the
// process, and so does proc_exit. Traps: the export is missing or has another type.
std::uint32_t trap_catch(HostContext& context, std::uint32_t function, std::uint32_t pointer) {
  const lunatic_export_t* entry = context.instance->module().find_export("_lunatic_catch_trap");
  if (entry == nullptr || entry->invoke == nullptr ||
      std::string_view(entry->signature) != "(i32 i32) -> (i32)") {
    fail("lunatic::trap::catch: no export `_lunatic_catch_trap` of type (i32 i32) -> (i32)");
  }
  const std::uint64_t args[2] = {function, pointer};
  std::uint64_t result[1] = {0};
  engine::CallOutcome outcome = context.instance->call(*entry, args, result);
  if (outcome.ok()) return static_cast<std::uint32_t>(result[0]);
  if (outcome.kind == engine::TrapKind::kKilled)
    throw engine::GuestTrap{outcome.kind, outcome.message};
  if (outcome.kind == engine::TrapKind::kExit) throw engine::GuestExit{outcome.exit_code};
  return 0;
}

ProcessConfig& wasi_config_of(HostContext& context, std::uint64_t id, const char* function) {
  return config_of(context, id, fmt::format("lunatic::wasi::{}", function));
}

void config_add_environment_variable(HostContext& context, std::uint64_t id, std::uint32_t key,
                                     std::uint32_t key_len, std::uint32_t value,
                                     std::uint32_t value_len) {
  const char* where = "lunatic::wasi::config_add_environment_variable";
  std::string k = guest_utf8(context, key, key_len, where);
  std::string v = guest_utf8(context, value, value_len, where);
  ProcessConfig& config = wasi_config_of(context, id, "config_add_environment_variable");
  hold_config_bytes(context,
                    static_cast<std::int64_t>(k.size() + v.size() + ProcessConfig::kStringOverhead),
                    where);
  config.env.emplace_back(std::move(k), std::move(v));
}

void config_add_command_line_argument(HostContext& context, std::uint64_t id, std::uint32_t arg,
                                      std::uint32_t arg_len) {
  constexpr const char* where = "lunatic::wasi::config_add_command_line_argument";
  std::string a = guest_utf8(context, arg, arg_len, where);
  ProcessConfig& config = wasi_config_of(context, id, "config_add_command_line_argument");
  hold_config_bytes(context, static_cast<std::int64_t>(a.size() + ProcessConfig::kStringOverhead),
                    where);
  config.args.push_back(std::move(a));
}

// config_preopen_dir(config, dir, len): the child sees the directory under the same name.
// Beyond Lunatic (which takes any host path): `dir` is a path in the caller's own view, inside
// one of its preopened directories, resolved as WASI resolves paths, so a process can pass on
// only what it can reach (wasi/preopen_grant.hpp). Traps: `dir` out of bounds or not UTF-8,
// unknown config, or `dir` not an existing directory inside the caller's preopens.
void config_preopen_dir(HostContext& context, std::uint64_t id, std::uint32_t dir,
                        std::uint32_t dir_len) {
  constexpr const char* where = "lunatic::wasi::config_preopen_dir";
  std::string path = guest_utf8(context, dir, dir_len, where);
  ProcessConfig& config = wasi_config_of(context, id, "config_preopen_dir");
  auto preopen = wasi::narrow_preopen(context.config->preopened_dirs, path);
  if (!preopen) fail(fmt::format("{}: {}", where, preopen.error().message));
  hold_config_bytes(context,
                    static_cast<std::int64_t>(path.size() + ProcessConfig::kStringOverhead), where);
  config.preopened_dirs.push_back(std::move(*preopen));
}

}  // namespace

std::vector<HostFunction> support_functions() {
  return {
      host_function<&error_string_size>("lunatic::error", "string_size"),
      host_function<&error_to_string>("lunatic::error", "to_string"),
      host_function<&error_drop>("lunatic::error", "drop"),
      host_function<&version_major>("lunatic::version", "major"),
      host_function<&version_minor>("lunatic::version", "minor"),
      host_function<&version_patch>("lunatic::version", "patch"),
      host_function<&trap_catch>("lunatic::trap", "catch"),
      host_function<&config_add_environment_variable>("lunatic::wasi",
                                                      "config_add_environment_variable"),
      host_function<&config_add_command_line_argument>("lunatic::wasi",
                                                       "config_add_command_line_argument"),
      host_function<&config_preopen_dir>("lunatic::wasi", "config_preopen_dir"),
  };
}

}  // namespace lunatic::host
