// Reads and validates a wasm binary with libwabt, and describes what it declares.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "engine/compile/module_description.hpp"

namespace wabt {
struct Module;
struct FuncSignature;
struct Error;
}  // namespace wabt

namespace lunatic::engine {

struct ParsedModule {
  std::unique_ptr<wabt::Module> ir;
  ModuleDescription description;
};

// Parses `bytes` (named `name` in messages) and validates the module.
// Returns: the IR, or kMalformedModule (not a readable binary), kUnsupportedFeature (valid wasm
// using a proposal this engine does not run, e.g. SIMD or threads, or a function with more
// than kMaxFunctionLocals params and locals), kInvalidModule (fails validation). Messages name the
// file and the byte offset.
Expected<ParsedModule> read_module(std::span<const std::uint8_t> bytes, const std::string& name);

// libwabt's errors as one line, each with its byte offset when known.
std::string format_wabt_errors(const std::vector<wabt::Error>& errors);

// "(i32 i64) -> (f32)", the form used throughout the engine and in error messages.
std::string signature_string(const wabt::FuncSignature& signature);

// Builds the description of an already validated module.
ModuleDescription describe(const wabt::Module& module);

}  // namespace lunatic::engine
