// `lunatic compile`: build a module's artifact ahead of time.
#pragma once

#include <string>

#include "engine/compile/native_compiler.hpp"

namespace lunatic::cli {

struct CompileOptions {
  std::string module_path;
  std::string output_path;  // empty: store in the artifact cache
  engine::MemoryMode memory_mode = engine::MemoryMode::kAuto;
};

int compile_command(const CompileOptions& options);

}  // namespace lunatic::cli
