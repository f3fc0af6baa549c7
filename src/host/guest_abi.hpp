// Small helpers shared by the lunatic::* host namespaces: reading and writing guest memory with
// bounds checks, error resources, configs. Their failures are fail() (host_function.hpp): the
// thunk names the function that called them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/execution/trap.hpp"
#include "engine/memory/guest_memory.hpp"
#include "host/guest_io.hpp"
#include "host/host_context.hpp"
#include "host/host_function.hpp"
#include "runtime/blocking.hpp"

namespace lunatic::host {

inline void store_u64(HostContext& context, std::uint32_t ptr, std::uint64_t value) {
  if (!context.memory().try_store(ptr, value)) fail("pointer out of bounds");
}

// Now plus a guest's delay in milliseconds, capped at a century (u64::MAX means "never").
runtime::Clock::time_point deadline_in(std::uint64_t millis);
// A guest's timeout as a deadline: u64::MAX is none.
inline std::optional<runtime::Clock::time_point> deadline_after(std::uint64_t timeout_ms) {
  if (timeout_ms == UINT64_MAX) return std::nullopt;
  return deadline_in(timeout_ms);
}

// Stores `message`, cut to kMaxDiagnosticBytes, as a new error resource of the process, counted
// as its guest memory until dropped (error_bytes). Returns: its id. Traps: the process holds
// too many errors already, or the budget refuses.
std::uint64_t add_error(HostContext& context, std::string message);

// What an error resource is counted as: its text and its place in the table.
inline std::uint64_t error_bytes(const std::string& message) {
  return sizeof(std::string) + 64 + message.size();
}

// A guest string that must be UTF-8 (names of functions, registry entries, config values).
// Traps: out of bounds, longer than kMaxGuestString, or not UTF-8.
std::string guest_utf8(HostContext& context, std::uint32_t ptr, std::uint32_t len);

// The caller's config resource `id`. Traps: unknown id ("config id N does not exist").
ProcessConfig& config_of(HostContext& context, std::uint64_t id);

// How much of the runtime's reserve the calling process may use (Privilege::kNormal outside a
// runtime process).
Privilege privilege_of(const HostContext& context);

// Counts `change` more (or, negative, fewer) bytes of configs against the process's budget:
// call it before a config is made or a string added to one, and when a config is dropped.
// Traps: the budget refuses (nothing changes then).
void hold_config_bytes(HostContext& context, std::int64_t change);

// A nested call into guest code (lunatic::trap::catch, an upgrade's export calls) that ended in a
// kill, a proc_exit or a move to new code goes on unwinding the caller: none of them is a trap
// a guest can catch. Returns when `outcome` is a return or a trap.
void keep_unwinding_unless_trap(const engine::CallOutcome& outcome);

[[noreturn]] void fail_outside_process();
// The process state a lunatic::* function needs; traps when called outside a runtime process.
// Inline, as nearly every lunatic::* call starts with it.
inline Environment& environment_of(HostContext& context) {
  if (context.environment == nullptr || context.process == nullptr) [[unlikely]]
    fail_outside_process();
  return *context.environment;
}

}  // namespace lunatic::host
