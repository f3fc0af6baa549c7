// lunatic::global_registry host functions (beyond Lunatic): process names every node of a
// cluster sees; on a lone runtime, names of that runtime. docs/abi.md gives the table.
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<engine::ImportFunction> global_registry_functions();

}  // namespace lunatic::host
