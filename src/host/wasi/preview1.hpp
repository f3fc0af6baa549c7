// wasi_snapshot_preview1: the table of host functions this runtime provides.
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::wasi {

// Every wasi_snapshot_preview1 function, registered under that module name.
std::vector<engine::ImportFunction> preview1_functions();

}  // namespace lunatic::wasi
