// lunatic::version: the Lunatic release whose ABI this runtime implements.
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<engine::ImportFunction> version_functions();

}  // namespace lunatic::host
