// lunatic::wasi: the command-line arguments, environment and preopened directories of a
// process config.
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<engine::ImportFunction> wasi_config_functions();

}  // namespace lunatic::host
