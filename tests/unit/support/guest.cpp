#include "support/guest.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "host/host_context.hpp"
#include "host/host_imports.hpp"
#include "runtime/scheduler.hpp"
#include "shared/temp_dir.hpp"
#include "support/wat.hpp"

namespace lunatic::testing {

std::filesystem::path test_cache_root() {
  static const TempDir root("lunatic-unit");  // removed when the test binary exits
  return root.path();
}

Expected<std::shared_ptr<const engine::Module>> try_load_module(std::string_view wat,
                                                                engine::EngineOptions options) {
  options.cache_root = test_cache_root();
  options.show_progress = false;
  engine::Engine engine(options, host::host_imports());
  return engine.load_wasm(wat_to_wasm(wat), "test.wasm", nullptr);
}

Expected<std::shared_ptr<const engine::LoadedModule>> try_load(std::string_view wat,
                                                               engine::MemoryMode mode) {
  engine::EngineOptions options;
  options.memory_mode = mode;
  auto module = try_load_module(wat, options);
  if (!module) return module.error();
  return (*module)->variant(mode);
}

std::shared_ptr<const engine::LoadedModule> load(std::string_view wat, engine::MemoryMode mode) {
  auto module = try_load(wat, mode);
  if (!module) throw std::runtime_error(module.error().message);
  return *module;
}

engine::CallOutcome run(const std::shared_ptr<const engine::LoadedModule>& module, const char* name,
                        std::vector<std::uint64_t> args, std::uint64_t* result,
                        engine::InstanceLimits limits) {
  engine::CallOutcome outcome;
  runtime::Scheduler scheduler;
  scheduler.spawn([&](runtime::Process& process) {
    host::HostContext context;
    context.blocking = &process;
    auto instance = engine::Instance::create(module, &context, &process.execution(), limits);
    ASSERT_TRUE(instance.has_value());
    context.instance = instance->get();
    outcome = (*instance)->instantiate();
    if (!outcome.ok()) return;
    const lunatic_export_t* function = module->find_export(name);
    ASSERT_NE(function, nullptr) << name;
    std::uint64_t results[4] = {};
    outcome = (*instance)->call(*function, args, std::span<std::uint64_t>(results, 4));
    if (result) *result = results[0];
  });
  scheduler.run();
  return outcome;
}

}  // namespace lunatic::testing
