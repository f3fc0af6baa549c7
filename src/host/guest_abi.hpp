// Small helpers shared by the lunatic::* host namespaces: failing a call the way Lunatic traps,
// and reading and writing guest memory with bounds checks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/memory/guest_memory.hpp"
#include "engine/execution/trap.hpp"
#include "host/host_context.hpp"
#include "runtime/blocking.hpp"

namespace lunatic::host {

// Ends the calling process: a bad id, a bad argument or a missing permission.
[[noreturn]] inline void fail(std::string what) {
  throw engine::GuestTrap{engine::TrapKind::kHostError, std::move(what)};
}

inline void store_u64(HostContext& context, std::uint32_t ptr, std::uint64_t value,
                      const char* where) {
  if (!context.memory().try_store(ptr, value)) fail(std::string(where) + ": pointer out of bounds");
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

// The longest string a guest passes as a name or value (a function or registry name, an
// environment variable, an argument, a path): Linux's own limit on one argument.
inline constexpr std::uint32_t kMaxGuestString = 128 * 1024;

// A guest string that must be UTF-8 (names of functions, registry entries, config values).
// Traps: out of bounds, longer than kMaxGuestString, or not UTF-8.
std::string guest_utf8(HostContext& context, std::uint32_t ptr, std::uint32_t len,
                       const char* where);

// The caller's config resource `id`. Traps: unknown id ("<where>: config id N does not exist").
ProcessConfig& config_of(HostContext& context, std::uint64_t id, std::string_view where);

// How much of the runtime's reserve the calling process may use (Privilege::kNormal outside a
// runtime process).
Privilege privilege_of(const HostContext& context);

// Counts `change` more (or, negative, fewer) bytes of configs against the process's budget:
// call it before a config is made or a string added to one, and when a config is dropped.
// Traps: the budget refuses (nothing changes then).
void hold_config_bytes(HostContext& context, std::int64_t change, const char* where);

[[noreturn]] void fail_outside_process();
// The process state a lunatic::* function needs; traps when called outside a runtime process.
// Inline, as nearly every lunatic::* call starts with it.
inline Environment& environment_of(HostContext& context) {
  if (context.environment == nullptr || context.process == nullptr) [[unlikely]]
    fail_outside_process();
  return *context.environment;
}

}  // namespace lunatic::host
