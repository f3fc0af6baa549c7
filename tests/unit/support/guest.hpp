// Test support: compile modules written in WebAssembly text into a private artifact cache (once
// per test binary), and run their exports in processes of their own.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "engine/engine.hpp"
#include "engine/execution/instance.hpp"

namespace lunatic::testing {

// A cache directory private to this test binary, removed when it exits.
std::filesystem::path test_cache_root();

// Compiles (or finds in the cache) and loads `wat` with these engine options (the cache root
// and progress display are set here).
Expected<std::shared_ptr<const engine::Module>> try_load_module(std::string_view wat,
                                                                engine::EngineOptions options);
// The variant of `mode` (kGuard or kBounds) of `wat`.
Expected<std::shared_ptr<const engine::LoadedModule>> try_load(
    std::string_view wat, engine::MemoryMode mode = engine::MemoryMode::kGuard);
// The same; throws std::runtime_error when the module cannot be loaded.
std::shared_ptr<const engine::LoadedModule> load(
    std::string_view wat, engine::MemoryMode mode = engine::MemoryMode::kGuard);

// Instantiates `module` in a process of its own and calls `name` with `args`; the first result
// goes to `*result`.
engine::CallOutcome run(const std::shared_ptr<const engine::LoadedModule>& module, const char* name,
                        std::vector<std::uint64_t> args = {}, std::uint64_t* result = nullptr,
                        engine::InstanceLimits limits = {});

}  // namespace lunatic::testing
