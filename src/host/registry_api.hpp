// lunatic::registry host functions: processes found by name.
#pragma once

#include <string>
#include <vector>

#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<engine::ImportFunction> registry_functions();

struct RegistryEntry;
// Counts the entry for `name` against the calling process's budget, as guest memory. Traps: the
// budget refuses. (get_or_spawn registers too.)
void hold_entry(HostContext& context, RegistryEntry& entry, const std::string& name);

}  // namespace lunatic::host
