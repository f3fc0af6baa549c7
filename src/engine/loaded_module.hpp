// A compiled module mapped into this process: its artifact descriptor, bound imports, and the
// table that names the function a trap happened in.
// Thread: immutable after load; share it freely (instances hold a shared_ptr).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"
#include "engine/compile/artifact.hpp"
#include "engine/import_table.hpp"

extern "C" {
#include "engine/codegen/wasm-rt.h"
}

namespace lunatic::engine {

// Returns an error listing every import of `module` that `imports` lacks or declares with
// another signature, one line each; Ok when all resolve.
Status check_imports(const ModuleDescription& module, const ImportTable& imports);

class LoadedModule {
 public:
  // Maps the shared object (from memory, through a memfd) after checking the contract against
  // this runtime: memory mode, imports, limits.
  static Expected<std::shared_ptr<LoadedModule>> load(const Contract& contract,
                                                      std::string_view shared_object,
                                                      const ImportTable& imports);
  ~LoadedModule();
  LoadedModule(const LoadedModule&) = delete;
  LoadedModule& operator=(const LoadedModule&) = delete;

  const Contract& contract() const { return contract_; }
  const lunatic_artifact_t& abi() const { return *abi_; }
  bool guard_memory() const { return contract_.memory_mode == MemoryMode::kGuard; }

  // The exported function `name`, or nullptr.
  const lunatic_export_t* find_export(std::string_view name) const;

  // The name of the generated function containing `pc`, or empty if unknown.
  std::string function_name_at(const void* pc) const;

 private:
  LoadedModule() = default;

  Contract contract_;
  int fd_ = -1;  // the sealed memfd the code was loaded from
  void* handle_ = nullptr;
  const lunatic_artifact_t* abi_ = nullptr;
  std::uintptr_t code_begin_ = 0;
  std::uintptr_t code_end_ = 0;
  std::vector<wasm_rt_function_ptr_t> imports_;
  std::vector<std::pair<std::uintptr_t, const char*>> functions_by_address_;
};

}  // namespace lunatic::engine
