// The engine's front door: turns a .wasm file (through the artifact cache) or a compiled
// artifact file into a LoadedModule ready to instantiate.
// Thread: one Engine may be used from one thread at a time; modules it returns are shareable.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "engine/artifact_cache.hpp"
#include "engine/loaded_module.hpp"
#include "engine/native_compiler.hpp"

namespace lunatic::host {
class HostRegistry;
}

namespace lunatic::engine {

struct EngineOptions {
  MemoryMode memory_mode = MemoryMode::kGuard;
  std::filesystem::path cache_root = ArtifactCache::default_root();
  bool show_progress = true;  // on a cold compile, when stderr is a terminal
};

// What a load did and how long each step took, for --timings and benchmarks.
struct LoadReport {
  std::string cache;  // "hit", "miss" (compiled now) or "file" (an artifact given directly)
  double hash_ms = 0;
  double compile_ms = 0;
  double load_ms = 0;
  std::vector<std::string> warnings;
};

class Engine {
 public:
  Engine(EngineOptions options, const host::HostRegistry& registry);

  // A .wasm (by content) or a .lart artifact file (by its magic).
  Expected<std::shared_ptr<LoadedModule>> load_file(const std::filesystem::path& path,
                                                    LoadReport* report);

  Expected<std::shared_ptr<LoadedModule>> load_wasm(std::string_view wasm, const std::string& name,
                                                    LoadReport* report);

  // Compiles `wasm` into artifact bytes (no cache involved).
  Expected<std::string> compile(std::string_view wasm, const std::string& name);

 private:
  EngineOptions options_;
  const host::HostRegistry& registry_;
  ArtifactCache cache_;
};

// True when the bytes start like a compiled artifact rather than a wasm module.
bool looks_like_artifact(std::string_view bytes);

}  // namespace lunatic::engine
