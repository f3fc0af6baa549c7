// Runs the system C compiler on generated code and produces a shared object.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stop_token>
#include <string>

#include "common/error.hpp"
#include "engine/compile/c_generator.hpp"

namespace lunatic::engine {

// How generated code confines linear memory accesses (docs/architecture.md, "Memory modes").
// An artifact is built for kGuard or kBounds; kAuto is a load policy that uses both variants.
enum class MemoryMode : std::uint8_t { kGuard, kBounds, kAuto };
const char* memory_mode_name(MemoryMode mode);

// The compiler, identified cheaply (path, size, mtime) so a cache key costs no process spawn.
struct CCompiler {
  std::filesystem::path path;
  std::string identity;
  bool clang = false;  // clang rather than gcc (the flags differ), told from the real file's name
};

// $CC if set, else the compiler the runtime was built with, else `cc` on PATH.
Expected<CCompiler> find_c_compiler();

// The flags every artifact is built with by this compiler, part of the cache key and the
// contract.
std::string compile_flags(MemoryMode mode, const CCompiler& compiler);

struct CompileJob {
  const GeneratedC* sources = nullptr;
  MemoryMode mode = MemoryMode::kGuard;
  std::filesystem::path work_dir;  // an empty private directory; removed by the caller
  std::string label;               // the module's name, for progress and errors
  std::uint64_t wasm_size = 0;
  bool show_progress = false;  // a live line on stderr (only when it is a terminal)
  std::stop_token stop;        // a stop kills the compiler (all of its process group) at once
  // Data the compiler (and what it runs: cc1, as) may allocate, bytes; 0: no limit. Past it
  // the compile fails with the compiler's own "out of memory".
  std::uint64_t memory_limit_bytes = 0;
};

// Returns: the shared object's bytes, kCompileFailed with the compiler's last words, or
// kCancelled when `job.stop` was requested before the compiler finished.
Expected<std::string> compile_shared_object(const CCompiler& compiler, const CompileJob& job);

// For a runtime about to end without joining its compile threads: kills every compiler running
// (its whole process group) and makes later compiles fail as cancelled.
void kill_running_compilers();

}  // namespace lunatic::engine
