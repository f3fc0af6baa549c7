#include "cli/compile_command.hpp"

#include <fmt/core.h>

#include "cli/diagnostics.hpp"
#include "cli/engine_options.hpp"
#include "cli/run_command.hpp"
#include "common/file_io.hpp"
#include "engine/engine.hpp"
#include "host/host_imports.hpp"

namespace lunatic::cli {

int compile_command(const CompileOptions& options) {
  auto fail = [](const Error& error) {
    print_error(error);
    return kExitRuntimeError;
  };
  auto engine_options = cli::engine_options(options.memory_mode);
  if (!engine_options) return fail(engine_options.error());
  engine::Engine engine(*engine_options, host::host_imports());
  if (options.output_path.empty()) {
    engine::LoadReport report;
    auto module = engine.load_file(options.module_path, &report);
    if (!module) return fail(module.error());
    fmt::print(stderr, "lunatic: {} is compiled and cached ({})\n", options.module_path,
               report.cache == "hit" ? "already cached" : "compiled now");
    return 0;
  }
  auto wasm = read_file(options.module_path);
  if (!wasm) return fail(wasm.error());
  if (engine::looks_like_artifact(*wasm)) {
    return fail(
        make_error(Errc::kInvalidArgument, options.module_path + " is already an artifact"));
  }
  auto artifact = engine.compile(*wasm, options.module_path);
  if (!artifact) return fail(artifact.error());
  if (auto written = write_file_atomic(options.output_path, *artifact); !written) {
    return fail(written.error());
  }
  return 0;
}

}  // namespace lunatic::cli
