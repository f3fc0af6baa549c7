// lunatic::upgrade: hot code upgrade, beyond Lunatic (docs/abi.md, "lunatic::upgrade"). A
// process asks others to move to a module it compiled; the moving process's old code hands
// its state over and the new code takes it (host/code_change.hpp).
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<engine::ImportFunction> upgrade_functions();

}  // namespace lunatic::host
