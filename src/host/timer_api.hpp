// lunatic::timer host functions: messages sent after a delay, and their cancellation.
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<engine::ImportFunction> timer_functions();

}  // namespace lunatic::host
