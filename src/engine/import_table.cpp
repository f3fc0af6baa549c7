#include "engine/import_table.hpp"

namespace lunatic::engine {

void ImportTable::add(ImportFunction function) { functions_.push_back(std::move(function)); }

void ImportTable::add_all(std::vector<ImportFunction> functions) {
  for (auto& function : functions) add(std::move(function));
}

const ImportFunction* ImportTable::find(std::string_view module, std::string_view name) const {
  for (const auto& function : functions_) {
    if (function.module == module && function.name == name) return &function;
  }
  return nullptr;
}

}  // namespace lunatic::engine
