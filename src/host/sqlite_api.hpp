// lunatic::sqlite, as Lunatic 0.13 defines it (crates/lunatic-sqlite-api): SQLite databases in
// the process's preopened directories, prepared statements, rows in Lunatic's wire format.
#pragma once

#include <vector>

#include "host/host_function.hpp"

namespace lunatic::host {

std::vector<engine::ImportFunction> sqlite_functions();

}  // namespace lunatic::host
