// lunatic::process host functions, and the spawn parsing that lunatic::distributed shares.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "host/environment.hpp"
#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<engine::ImportFunction> process_functions();

// Checks permission and reads a spawn's config, function name and 17-byte parameter records.
// Traps (throws GuestTrap) on every error Lunatic traps on.
SpawnRequest spawn_request(HostContext& context, std::int64_t config_id,
                           std::shared_ptr<const engine::Module> module, std::uint32_t func,
                           std::uint32_t func_len, std::uint32_t params, std::uint32_t params_len);

// The caller's module for -1, else the module resource. Traps on an unknown id.
std::shared_ptr<const engine::Module> module_of(HostContext& context, std::int64_t module_id);

}  // namespace lunatic::host
