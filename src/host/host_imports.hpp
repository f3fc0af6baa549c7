// Every function this runtime offers guests, in every namespace it implements: the import
// table the engine resolves modules against.
#pragma once

#include "engine/import_table.hpp"

namespace lunatic::host {

const engine::ImportTable& host_imports();

}  // namespace lunatic::host
