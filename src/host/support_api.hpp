// lunatic::error, lunatic::version, lunatic::trap and lunatic::wasi host functions.
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<HostFunction> support_functions();

}  // namespace lunatic::host
