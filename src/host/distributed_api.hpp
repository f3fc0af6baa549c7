// lunatic::distributed as a single node answers it: this node is node 0 and the only one.
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<engine::ImportFunction> distributed_functions();

}  // namespace lunatic::host
