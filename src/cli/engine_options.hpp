// The engine options every command shares: its memory mode, and the artifact cache's limit
// ($LUNATIC_CACHE_SIZE).
#pragma once

#include "common/error.hpp"
#include "engine/engine.hpp"

namespace lunatic::cli {

// Returns: the options, or kInvalidArgument for a $LUNATIC_CACHE_SIZE that is not a size.
Expected<engine::EngineOptions> engine_options(engine::MemoryMode mode);

}  // namespace lunatic::cli
