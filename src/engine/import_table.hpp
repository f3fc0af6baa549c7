// The functions a module may import, as the embedder provides them. The engine resolves a
// module's imports against this table and binds their addresses into the loaded code, knowing
// nothing else of the embedder (wasm3's m3_LinkRawFunction and Wasmtime's Linker do the same).
// Thread: filled once at start-up, then read-only and safe to share.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace lunatic::engine {

struct ImportFunction {
  std::string module;
  std::string name;
  std::string signature;  // e.g. "(i32 i64) -> (i32)"
  // Generated code calls it as R (*)(void* import_context, A...), with the pointer the
  // instance was created with.
  void (*address)();
};

class ImportTable {
 public:
  void add(ImportFunction function);
  void add_all(std::vector<ImportFunction> functions);
  const ImportFunction* find(std::string_view module, std::string_view name) const;
  const std::vector<ImportFunction>& functions() const { return functions_; }

 private:
  std::vector<ImportFunction> functions_;
};

}  // namespace lunatic::engine
