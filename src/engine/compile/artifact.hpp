// A compiled artifact: one file holding a contract (JSON) and the native shared object.
//
// Layout: "LUNATART" | u32 format version | u32 contract length | contract | shared object.
// The contract names the engine ABI, the memory mode, the compiler, the imports, exports and
// memory limits, and the SHA-256 of the shared object, so a loader can refuse an artifact that
// was built for something else or whose bytes were damaged, before any of it is mapped.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "common/error.hpp"
#include "engine/compile/module_description.hpp"
#include "engine/compile/native_compiler.hpp"

namespace lunatic::engine {

// Changes whenever generated code, the shim ABI or wasm-rt.h change meaning.
inline constexpr std::string_view kEngineAbi = "lunatic-engine/2 rt-abi/5 wabt/1.0.32";

struct Contract {
  std::string engine_abi;
  std::string engine_version;
  MemoryMode memory_mode = MemoryMode::kGuard;
  std::string compiler;  // identity of the C compiler
  std::string flags;
  std::string wasm_sha256;
  std::string so_sha256;
  std::uint64_t so_size = 0;
  std::uint32_t checked_functions = 0;
  std::uint32_t checked_loops = 0;
  ModuleDescription module;
};

struct ArtifactView {
  Contract contract;
  std::string_view shared_object;  // points into the buffer given to decode_artifact
};

std::string sha256_hex(std::span<const std::uint8_t> bytes);
std::string sha256_hex(std::string_view bytes);

std::string encode_artifact(const Contract& contract, std::string_view shared_object);

// Returns: the contract and the shared object, or kArtifactDamaged when the file is not an
// artifact, is truncated, or its shared object does not hash to what the contract says, or
// kContractMismatch when it was built for another engine ABI.
Expected<ArtifactView> decode_artifact(std::string_view bytes);

}  // namespace lunatic::engine
