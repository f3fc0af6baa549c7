// What a process may do and what it sees: Lunatic's process configuration.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "common/resource_budget.hpp"
#include "net/network_policy.hpp"
#include "wasi/wasi_config.hpp"

namespace lunatic::host {

struct ProcessConfig {
  // A new config (lunatic::process::create_config) denies everything and has no fuel limit.
  std::uint64_t max_memory = 0xFFFF'FFFF;  // bytes; Lunatic's default is u32::MAX
  std::uint64_t max_fuel = 0;              // units of kFuelUnit; 0: unlimited
  bool can_compile_modules = false;
  bool can_create_configs = false;
  bool can_spawn_processes = false;
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<wasi::Preopen> preopened_dirs;
  // Beyond Lunatic: where the process may connect and bind. Unrestricted unless restricted;
  // create_config copies the creator's, so a restricted process cannot make an unrestricted one.
  net::NetworkPolicy network;
  // Beyond Lunatic: limits on the subtree a process spawned with this config heads (it and all
  // it spawns), on top of every limit above it (common/resource_budget.hpp). 0: none of its own.
  std::uint64_t max_processes = 0;     // live processes
  std::uint64_t max_total_memory = 0;  // guest memory in all, bytes
  std::uint64_t max_compiles = 0;      // modules compiled at run time
  // Beyond Lunatic: the process's mailbox holds at most this many data messages, and this many
  // bytes of them; a send beyond is refused (docs/abi.md, send). 0: unbounded.
  std::uint64_t max_mailbox_messages = 0;
  std::uint64_t max_mailbox_bytes = 0;

  BudgetLimits subtree_limits() const { return {max_processes, max_total_memory, max_compiles}; }

  // Bytes the config and its arguments, environment and directory names take: memory a guest
  // makes the runtime hold, counted as guest memory (by its creator while it holds the config,
  // by the child while it lives).
  std::uint64_t held_bytes() const {
    std::uint64_t bytes = object_bytes();
    for (const auto& arg : args) bytes += arg.size() + kStringOverhead;
    for (const auto& [key, value] : env) bytes += key.size() + value.size() + kStringOverhead;
    for (const auto& dir : preopened_dirs) bytes += dir.guest_path.size() + kStringOverhead;
    return bytes;
  }
  static constexpr std::uint64_t kStringOverhead = 32;
  // The config itself and its resource table entry (a guess at the allocator's and the table's
  // share): a million empty configs are hundreds of MB.
  static constexpr std::uint64_t object_bytes() { return sizeof(ProcessConfig) + 64; }
};

// One unit of fuel. Lunatic counts 100,000 wasm instructions per unit; this runtime counts
// preemption checks (loop iterations and calls on recursive paths), 100,000 per unit.
inline constexpr std::uint64_t kFuelUnit = 100'000;

}  // namespace lunatic::host
