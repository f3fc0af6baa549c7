// Host functions the engine's own instrumentation calls (module "lunatic_engine").
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<engine::ImportFunction> instrumentation_functions();

}  // namespace lunatic::host
