#include "cli/engine_options.hpp"

namespace lunatic::cli {

Expected<engine::EngineOptions> engine_options(engine::MemoryMode mode) {
  engine::EngineOptions options;
  options.memory_mode = mode;
  auto cache_max = engine::ArtifactCache::default_max_bytes();
  if (!cache_max) return cache_max.error();
  options.cache_max_bytes = *cache_max;
  return options;
}

}  // namespace lunatic::cli
