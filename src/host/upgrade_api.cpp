#include "host/upgrade_api.hpp"

#include <fmt/core.h>

#include <cstring>

#include "engine/module.hpp"
#include "host/code_change.hpp"
#include "host/code_upgrade.hpp"
#include "host/environment.hpp"
#include "host/guest_abi.hpp"
#include "runtime/process.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::host {
namespace {

constexpr std::uint32_t kFlagPurge = 1;
constexpr std::uint32_t kFlagRestart = 2;
constexpr std::uint64_t kOwnModule = UINT64_MAX;
constexpr std::uint64_t kNoError = UINT64_MAX;

// The upgrade under way when the new code's lunatic_upgrade_load runs, or nullptr.
const CodeChange* loading(const HostContext& context) {
  const CodeChange* change = context.code_change.get();
  return change != nullptr && change->phase == CodeChange::Phase::kLoading ? change : nullptr;
}

// What the old code hands over, and what the new code reads, exist only inside the upgrade's
// own export calls.
CodeChange& change_in(HostContext& context, CodeChange::Phase phase, const char* where) {
  if (context.code_change == nullptr || context.code_change->phase != phase) {
    fail(fmt::format("only callable inside {}", where));
  }
  return *context.code_change;
}

std::string guest_bytes(HostContext& context, std::uint32_t ptr, std::uint64_t len,
                        std::uint64_t max, const char* what) {
  if (len > max) fail(fmt::format("{} of {} bytes is over the limit of {}", what, len, max));
  auto bytes = context.memory().try_bytes(ptr, len);
  if (!bytes) fail(fmt::format("{} out of bounds", what));
  return std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

void copy_to_guest(HostContext& context, std::uint32_t ptr, const std::string& bytes,
                   const char* what) {
  auto target = context.memory().try_bytes(ptr, bytes.size());
  if (!target) fail(fmt::format("{} buffer out of bounds", what));
  std::memcpy(target->data(), bytes.data(), bytes.size());
}

// save_state(version_ptr: i32, version_len: i32, state_ptr: i32, state_len: i32) -> i32: inside
// lunatic_upgrade_save, hands over the state and the old code's name for its version; 0. A
// second call replaces the first. Traps: outside lunatic_upgrade_save, out of bounds, a
// version over 256 bytes or a state over 64 MiB.
std::uint32_t save_state(HostContext& context, std::uint32_t version_ptr, std::uint32_t version_len,
                         std::uint32_t state_ptr, std::uint32_t state_len) {
  CodeChange& change = change_in(context, CodeChange::Phase::kSaving, "lunatic_upgrade_save");
  change.version =
      guest_bytes(context, version_ptr, version_len, kMaxUpgradeVersionBytes, "the version");
  change.state = guest_bytes(context, state_ptr, state_len, kMaxUpgradeStateBytes, "the state");
  change.saved = true;
  return 0;
}

// state_size() -> i64: inside lunatic_upgrade_load, the size of the state handed over; -1
// anywhere else.
std::uint64_t state_size(HostContext& context) {
  const CodeChange* change = loading(context);
  return change != nullptr ? change->state.size() : UINT64_MAX;
}

// read_state(ptr: i32): copies the state (state_size bytes) to ptr. Traps: outside
// lunatic_upgrade_load, out of bounds.
void read_state(HostContext& context, std::uint32_t ptr) {
  copy_to_guest(context, ptr,
                change_in(context, CodeChange::Phase::kLoading, "lunatic_upgrade_load").state,
                "the state");
}

// old_version_size() -> i64 and read_old_version(ptr: i32): the same for the version name the
// old code gave.
std::uint64_t old_version_size(HostContext& context) {
  const CodeChange* change = loading(context);
  return change != nullptr ? change->version.size() : UINT64_MAX;
}

void read_old_version(HostContext& context, std::uint32_t ptr) {
  copy_to_guest(context, ptr,
                change_in(context, CodeChange::Phase::kLoading, "lunatic_upgrade_load").version,
                "the version");
}

// checkpoint() -> i32: a message boundary outside receive, for a process that waits on other
// things (a socket): 0 when no upgrade is asked for; 1 when one was and failed (the old code
// goes on, the asker knows why). When one succeeds it does not return: the new code resumes.
std::uint32_t checkpoint(HostContext& context) {
  environment_of(context);
  if (!context.process->upgrade_pending()) return 0;
  run_pending_upgrade(context);
  return 1;
}

UpgradeOptions options_of(std::uint32_t flags, std::uint64_t timeout_ms) {
  if ((flags & ~(kFlagPurge | kFlagRestart)) != 0) fail(fmt::format("unknown flags 0x{:x}", flags));
  UpgradeOptions options;
  options.purge = (flags & kFlagPurge) != 0;
  options.restart = (flags & kFlagRestart) != 0;
  options.deadline = deadline_after(timeout_ms);
  return options;
}

std::shared_ptr<const engine::Module> module_of(HostContext& context, std::uint64_t id) {
  if (id == kOwnModule) return context.module;
  auto* module = context.modules.get(id);
  if (module == nullptr) fail(fmt::format("module id {} does not exist", id));
  return *module;
}

// upgrade_process(process_id: i64, module_id: i64, flags: i32, timeout_ms: i64,
// error_id_ptr: i32) -> i32: moves one process of this node to the module (a module resource),
// waiting for it to reach a message boundary. 0 upgraded; 1 no such process; 2 refused or
// failed, the reason an error id at error_id_ptr; 3 not done within the timeout (the request
// is withdrawn). Flags: 1 purge, 2 restart (docs/abi.md). Traps: unknown module id or flags.
std::uint32_t upgrade_process(HostContext& context, std::uint64_t process_id,
                              std::uint64_t module_id, std::uint32_t flags,
                              std::uint64_t timeout_ms, std::uint32_t error_id_ptr) {
  Environment& environment = environment_of(context);
  const UpgradeOptions options = options_of(flags, timeout_ms);
  auto to = module_of(context, module_id);
  if (!context.memory().try_bytes(error_id_ptr, 8)) fail("error id pointer out of bounds");
  auto process = environment.scheduler().find(process_id);
  if (process == nullptr) return 1;
  auto refuse = [&](const std::string& why) {
    store_u64(context, error_id_ptr, add_error(context, why));
    return std::uint32_t{2};
  };
  if (process.get() == context.process) return refuse("a process cannot wait for its own upgrade");
  auto from = std::static_pointer_cast<const engine::Module>(process->module());
  auto report = upgrade_processes(environment, {process}, from, to, options, context.blocking);
  if (!report) return refuse(report.error().message);
  if (report->upgraded == 1 || report->restarted == 1) return 0;
  if (report->timed_out == 1) return 3;
  return refuse(report->failures.empty() ? "it was not upgraded" : report->failures.front());
}

// upgrade_module(old_module_id: i64, new_module_id: i64, flags: i32, timeout_ms: i64,
// result_ptr: i32) -> i32: moves every process of this node that runs the old module (-1: the
// caller's own), except the caller, to the new one, and writes six u64 at result_ptr:
// upgraded, failed, timed out, restarted, purged, and an error id (u64::MAX when none) for the
// first failure or the refusal. 0 all moved (or restarted); 2 refused as a whole (nothing was
// asked); 3 some failed or timed out. Traps: unknown module id or flags, out of bounds.
std::uint32_t upgrade_module(HostContext& context, std::uint64_t old_module_id,
                             std::uint64_t new_module_id, std::uint32_t flags,
                             std::uint64_t timeout_ms, std::uint32_t result_ptr) {
  Environment& environment = environment_of(context);
  const UpgradeOptions options = options_of(flags, timeout_ms);
  auto from = module_of(context, old_module_id);
  auto to = module_of(context, new_module_id);
  if (!context.memory().try_bytes(result_ptr, 6 * 8)) fail("result pointer out of bounds");
  auto targets = processes_running(*from, environment.scheduler());
  std::erase_if(targets, [&](const auto& process) { return process.get() == context.process; });
  auto report =
      upgrade_processes(environment, std::move(targets), from, to, options, context.blocking);
  std::uint64_t results[6] = {0, 0, 0, 0, 0, kNoError};
  std::uint32_t status = 0;
  if (!report) {
    results[5] = add_error(context, report.error().message);
    status = 2;
  } else {
    results[0] = report->upgraded;
    results[1] = report->failed;
    results[2] = report->timed_out;
    results[3] = report->restarted;
    results[4] = report->purged;
    if (!report->failures.empty()) results[5] = add_error(context, report->failures.front());
    status = report->complete() ? 0 : 3;
  }
  for (int i = 0; i < 6; ++i) store_u64(context, result_ptr + i * 8, results[i]);
  return status;
}

}  // namespace

std::vector<engine::ImportFunction> upgrade_functions() {
  constexpr ImportName m{"lunatic::upgrade"};
  return {
      host_function<&save_state, m, "save_state">(),
      host_function<&state_size, m, "state_size">(),
      host_function<&read_state, m, "read_state">(),
      host_function<&old_version_size, m, "old_version_size">(),
      host_function<&read_old_version, m, "read_old_version">(),
      host_function<&checkpoint, m, "checkpoint">(),
      host_function<&upgrade_process, m, "upgrade_process">(),
      host_function<&upgrade_module, m, "upgrade_module">(),
  };
}

}  // namespace lunatic::host
