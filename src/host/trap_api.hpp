// lunatic::trap: catching a trap inside the guest.
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<engine::ImportFunction> trap_functions();

}  // namespace lunatic::host
