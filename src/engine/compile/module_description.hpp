// What a module declares, independent of libwabt: imports, exports and memory limits.
// It travels in an artifact's contract, so a loader can check a module without its wasm.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lunatic::engine {

enum class ExternKind : std::uint8_t { kFunction, kTable, kMemory, kGlobal, kTag };
const char* extern_kind_name(ExternKind kind);

struct ImportDescription {
  std::string module;
  std::string name;
  ExternKind kind = ExternKind::kFunction;
  std::string signature;  // functions only: "(i32 i32) -> (i32)"
};

struct ExportDescription {
  std::string name;
  ExternKind kind = ExternKind::kFunction;
  std::string signature;  // functions only
};

struct MemoryDescription {
  std::uint64_t initial_pages = 0;
  std::optional<std::uint64_t> max_pages;
};

struct ModuleDescription {
  std::vector<ImportDescription> imports;  // function imports, in declaration order
  std::vector<ExportDescription> exports;
  std::optional<MemoryDescription> memory;
  std::uint32_t function_count = 0;  // defined (not imported) functions
  // Bytes the entries of its tables take at their initial sizes (all tables together).
  std::uint64_t initial_table_bytes = 0;

  // Guest memory an instance holds before any of its code runs: its memory and its tables at
  // their initial sizes (what a spawn charges to the budgets ahead).
  std::uint64_t initial_guest_bytes() const;

  const ExportDescription* find_export(const std::string& name) const;
};

}  // namespace lunatic::engine
