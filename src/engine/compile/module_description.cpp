#include "engine/compile/module_description.hpp"

namespace lunatic::engine {

const char* extern_kind_name(ExternKind kind) {
  switch (kind) {
    case ExternKind::kFunction:
      return "function";
    case ExternKind::kTable:
      return "table";
    case ExternKind::kMemory:
      return "memory";
    case ExternKind::kGlobal:
      return "global";
    case ExternKind::kTag:
      return "tag";
  }
  return "unknown";
}

const ExportDescription* ModuleDescription::find_export(const std::string& name) const {
  for (const auto& entry : exports) {
    if (entry.name == name) return &entry;
  }
  return nullptr;
}

std::uint64_t ModuleDescription::initial_guest_bytes() const {
  return (memory ? memory->initial_pages * 65536 : 0) + initial_table_bytes;
}

}  // namespace lunatic::engine
