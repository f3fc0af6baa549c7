// lunatic::registry host functions: processes found by name.
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<HostFunction> registry_functions();

}  // namespace lunatic::host
