// lunatic::error: the text of the errors other host functions hand out by id.
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<engine::ImportFunction> error_functions();

}  // namespace lunatic::host
