// Fuzz target: what the engine does with untrusted module bytes before the C compiler runs.
// read + validate (libwabt), the import check against the default host registry, the
// description that goes into a contract, preemption instrumentation and C generation, in the
// order Engine::prepare runs them. The compiler is not run: it would take a second an input.
//
// Refusing a module is an expected outcome. A crash, a sanitizer report, a hang or a leak is a
// finding, and so is a valid module that instrumentation rejects: instrument_for_preemption
// fails only when its own rewrite does not validate, which is an engine bug.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>

#include <wabt/ir.h>

#include "engine/compile/c_generator.hpp"
#include "engine/compile/instrument.hpp"
#include "engine/compile/wasm_reader.hpp"
#include "engine/loaded_module.hpp"
#include "host/host_imports.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace lunatic;
  auto parsed = engine::read_module(std::span<const std::uint8_t>(data, size), "fuzz.wasm");
  if (!parsed) return 0;
  // The engine stops at a failed check; the steps after it still run here, since the engine
  // would run them for any module whose imports happen to match.
  (void)engine::check_imports(parsed->description, host::host_imports());
  auto instrumented = engine::instrument_for_preemption(*parsed->ir);
  if (!instrumented) {
    std::fprintf(stderr, "fuzz_loader: a valid module failed instrumentation: %s\n",
                 instrumented.error().message.c_str());
    std::abort();
  }
  (void)engine::describe(*parsed->ir);
  (void)engine::generate_c(*parsed->ir, *instrumented);
  return 0;
}
