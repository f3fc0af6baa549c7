// The engine's front door: turns a .wasm file (through the artifact cache) or a compiled
// artifact file into a Module ready to instantiate, in one memory mode or in both (auto).
// Thread: an Engine may be used from several threads at once (its options and the import table are
// read-only, the cache is safe across threads and processes); modules it returns are shareable.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "engine/compile/artifact_cache.hpp"
#include "engine/compile/native_compiler.hpp"
#include "engine/import_table.hpp"
#include "engine/loaded_module.hpp"
#include "engine/module.hpp"

namespace lunatic::engine {

struct EngineOptions {
  // kAuto compiles and loads both variants of a .wasm (an artifact file has only its own).
  MemoryMode memory_mode = MemoryMode::kAuto;
  // In auto mode: live guard-mode memories beyond which new instances use the bounds variant.
  std::uint64_t guard_threshold = Module::kDefaultGuardThreshold;
  std::filesystem::path cache_root = ArtifactCache::default_root();
  std::uint64_t cache_max_bytes = ArtifactCache::kDefaultMaxBytes;  // 0: unbounded
  bool show_progress = true;  // on a cold compile, when stderr is a terminal
};

// How a compile may run: for the modules guests compile at run time (CompileQueue).
struct CompileControl {
  std::stop_token stop;                 // a stop ends the compile with kCancelled, compilers killed
  std::uint64_t compiler_memory = 0;    // data each C compiler may allocate; 0: no limit
  bool one_compiler_at_a_time = false;  // the memory modes' variants one after the other
};

// What a load did and how long each step took, for --timings and benchmarks.
struct LoadReport {
  // "hit", "miss" (some variant compiled now) or "file" (an artifact given directly)
  std::string cache;
  double hash_ms = 0;
  double wait_ms = 0;  // for another runtime's compile of the same artifacts
  double compile_ms = 0;
  double load_ms = 0;
  std::vector<std::string> warnings;
};

// What loads of .wasm modules did so far, for metrics. Thread: any.
struct LoadCounts {
  std::atomic<std::uint64_t> cache_hits{0};    // every variant came from the artifact cache
  std::atomic<std::uint64_t> cache_misses{0};  // some variant had to be compiled
  std::atomic<std::uint64_t> compiled{0};      // misses whose compile succeeded
  std::atomic<std::uint64_t> compile_ns{0};    // time those compiles took
};

class Engine {
 public:
  Engine(EngineOptions options, const ImportTable& imports);

  // A .wasm (by content) or a .lart artifact file (by its magic).
  Expected<std::shared_ptr<const Module>> load_file(const std::filesystem::path& path,
                                                    LoadReport* report);

  // The variants the memory mode asks for, from the cache or compiled now (both at once).
  // `control` bounds a compile this needs (see CompileControl).
  // Thread: any; loads may run on several threads at once.
  Expected<std::shared_ptr<const Module>> load_wasm(std::string_view wasm, const std::string& name,
                                                    LoadReport* report,
                                                    const CompileControl& control = {});

  // Compiles `wasm` into the bytes of one artifact (no cache involved): the guard variant in
  // auto mode.
  Expected<std::string> compile(std::string_view wasm, const std::string& name);

  const LoadCounts& load_counts() const { return counts_; }

 private:
  struct Prepared;
  Expected<Prepared> prepare(std::string_view wasm, const std::string& name);
  Expected<std::string> build(const Prepared& prepared, MemoryMode mode, bool show_progress,
                              const CompileControl& control = {});
  Expected<std::shared_ptr<LoadedModule>> load_cached(const std::string& key,
                                                      const std::string& wasm_sha256,
                                                      const std::string& name, LoadReport& out);

  EngineOptions options_;
  const ImportTable& imports_;
  ArtifactCache cache_;
  LoadCounts counts_;
};

// True when the bytes start like a compiled artifact rather than a wasm module.
bool looks_like_artifact(std::string_view bytes);

}  // namespace lunatic::engine
