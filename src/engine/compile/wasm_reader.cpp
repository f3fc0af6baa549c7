#include "engine/compile/wasm_reader.hpp"

#include <wabt/binary-reader-ir.h>
#include <wabt/binary-reader-nop.h>
#include <wabt/binary-reader.h>
#include <wabt/cast.h>
#include <wabt/error-formatter.h>
#include <wabt/feature.h>
#include <wabt/ir.h>
#include <wabt/validator.h>

#include "engine/compile/module_limits.hpp"
#include "engine/execution/stack_limits.hpp"

extern "C" {
#include "engine/codegen/wasm-rt.h"
}

namespace lunatic::engine {
namespace {

// The proposals that libwabt's C writer (1.0.32) translates correctly. Others are refused
// up front: its C writer aborts on SIMD, for example.
wabt::Features supported_features() {
  wabt::Features features;
  features.disable_simd();
  features.disable_threads();
  features.disable_exceptions();
  features.disable_tail_call();
  features.disable_memory64();
  features.disable_multi_memory();
  features.disable_function_references();
  features.disable_gc();
  features.disable_relaxed_simd();
  features.disable_extended_const();
  features.disable_code_metadata();
  features.enable_mutable_globals();
  features.enable_sat_float_to_int();
  features.enable_sign_extension();
  features.enable_multi_value();
  features.enable_bulk_memory();
  features.enable_reference_types();
  return features;
}

// Every proposal libwabt 1.0.32 reads, but code metadata: its IR reader asserts (an abort) on a
// code metadata section that comes before the code.
wabt::Features readable_features() {
  wabt::Features all;
  all.EnableAll();
  all.disable_code_metadata();
  return all;
}

// A module that reads with every proposal enabled but not with ours uses an unsupported one.
bool reads_with_all_features(std::span<const std::uint8_t> bytes) {
  wabt::ReadBinaryOptions options(readable_features(), nullptr, false, true, false);
  wabt::Errors errors;
  wabt::Module module;
  return wabt::Succeeded(
      wabt::ReadBinaryIr("probe", bytes.data(), bytes.size(), options, &errors, &module));
}

const char* type_name(wabt::Type type) {
  switch (type) {
    case wabt::Type::I32:
      return "i32";
    case wabt::Type::I64:
      return "i64";
    case wabt::Type::F32:
      return "f32";
    case wabt::Type::F64:
      return "f64";
    case wabt::Type::V128:
      return "v128";
    case wabt::Type::FuncRef:
      return "funcref";
    case wabt::Type::ExternRef:
      return "externref";
    default:
      return "?";
  }
}

ExternKind extern_kind(wabt::ExternalKind kind) {
  switch (kind) {
    case wabt::ExternalKind::Func:
      return ExternKind::kFunction;
    case wabt::ExternalKind::Table:
      return ExternKind::kTable;
    case wabt::ExternalKind::Memory:
      return ExternKind::kMemory;
    case wabt::ExternalKind::Global:
      return ExternKind::kGlobal;
    case wabt::ExternalKind::Tag:
      return ExternKind::kTag;
  }
  return ExternKind::kFunction;
}

}  // namespace

std::string format_wabt_errors(const std::vector<wabt::Error>& errors) {
  std::string text;
  for (const auto& error : errors) {
    if (!text.empty()) text += "; ";
    if (error.loc.offset != wabt::kInvalidOffset) {
      char offset[32];
      std::snprintf(offset, sizeof offset, "at offset 0x%zx: ", error.loc.offset);
      text += offset;
    }
    text += error.message;
  }
  return text.empty() ? "unknown error" : text;
}

std::string signature_string(const wabt::FuncSignature& signature) {
  std::string text = "(";
  for (size_t i = 0; i < signature.param_types.size(); ++i) {
    if (i) text += ' ';
    text += type_name(signature.param_types[i]);
  }
  text += ") -> (";
  for (size_t i = 0; i < signature.result_types.size(); ++i) {
    if (i) text += ' ';
    text += type_name(signature.result_types[i]);
  }
  return text + ")";
}

ModuleDescription describe(const wabt::Module& module) {
  ModuleDescription description;
  for (const wabt::Import* import : module.imports) {
    ImportDescription entry{
        import->module_name, import->field_name, extern_kind(import->kind()), {}};
    if (auto* func = wabt::dyn_cast<wabt::FuncImport>(import)) {
      entry.signature = signature_string(func->func.decl.sig);
    }
    description.imports.push_back(std::move(entry));
  }
  for (const wabt::Export* exported : module.exports) {
    ExportDescription entry{exported->name, extern_kind(exported->kind), {}};
    if (exported->kind == wabt::ExternalKind::Func) {
      entry.signature = signature_string(module.GetFunc(exported->var)->decl.sig);
    }
    description.exports.push_back(std::move(entry));
  }
  if (!module.memories.empty()) {
    const auto& limits = module.memories[0]->page_limits;
    MemoryDescription memory{limits.initial, std::nullopt};
    if (limits.has_max) memory.max_pages = limits.max;
    description.memory = memory;
  }
  description.function_count =
      static_cast<std::uint32_t>(module.funcs.size() - module.num_func_imports);
  for (const wabt::Table* table : module.tables) {
    const std::uint64_t entry = table->elem_type == wabt::Type::ExternRef
                                    ? sizeof(wasm_rt_externref_t)
                                    : sizeof(wasm_rt_funcref_t);
    description.initial_table_bytes += table->elem_limits.initial * entry;
  }
  return description;
}

namespace {

// A first pass over the binary that builds nothing: it refuses, before libwabt builds its IR
// (which recurses on nesting), what the module limits forbid, and the blocks in a constant
// expression that libwabt 1.0.32's IR reader asserts on (an abort, found by fuzz_loader).
// Anything else malformed is left to the IR reader to report.
class StructureCheck : public wabt::BinaryReaderNop {
 public:
  std::string refusal;     // empty: within the limits
  bool malformed = false;  // the refusal is of bytes no valid module has

  // Malformed bytes are the IR reader's to report; nothing is printed here.
  bool OnError(const wabt::Error&) override { return true; }

  wabt::Result BeginFunctionBody(wabt::Index index, wabt::Offset) override {
    function_ = index;
    depth_ = 0;
    return wabt::Result::Ok;
  }
  wabt::Result OnBlockExpr(wabt::Type) override { return enter("block"); }
  wabt::Result OnLoopExpr(wabt::Type) override { return enter("loop"); }
  wabt::Result OnIfExpr(wabt::Type) override { return enter("if"); }
  wabt::Result OnTryExpr(wabt::Type) override { return enter("try"); }
  wabt::Result OnElseExpr() override { return control_in_constant("else"); }
  wabt::Result OnCatchExpr(wabt::Index) override { return control_in_constant("catch"); }
  wabt::Result OnCatchAllExpr() override { return control_in_constant("catch_all"); }
  wabt::Result OnDelegateExpr(wabt::Index) override { return control_in_constant("delegate"); }
  // Constant expressions: global initializers and segment offsets.
  wabt::Result BeginGlobalInitExpr(wabt::Index) override { return begin_constant("a global"); }
  wabt::Result EndGlobalInitExpr(wabt::Index) override { return end_constant(); }
  wabt::Result BeginElemSegmentInitExpr(wabt::Index) override {
    return begin_constant("an element segment's offset");
  }
  wabt::Result EndElemSegmentInitExpr(wabt::Index) override { return end_constant(); }
  wabt::Result BeginDataSegmentInitExpr(wabt::Index) override {
    return begin_constant("a data segment's offset");
  }
  wabt::Result EndDataSegmentInitExpr(wabt::Index) override { return end_constant(); }
  wabt::Result OnEndExpr() override {
    if (depth_ > 0) --depth_;
    return wabt::Result::Ok;
  }
  wabt::Result OnTable(wabt::Index index, wabt::Type, const wabt::Limits* limits) override {
    return table(index, limits);
  }
  wabt::Result OnImportTable(wabt::Index, std::string_view, std::string_view, wabt::Index index,
                             wabt::Type, const wabt::Limits* limits) override {
    return table(index, limits);
  }

 private:
  wabt::Result begin_constant(const char* what) {
    constant_ = what;
    return wabt::Result::Ok;
  }
  wabt::Result end_constant() {
    constant_ = nullptr;
    return wabt::Result::Ok;
  }
  wabt::Result control_in_constant(const char* instruction) {
    if (constant_ == nullptr) return wabt::Result::Ok;
    refusal = std::string("the constant expression of ") + constant_ + " contains `" + instruction +
              "`, which no constant expression may";
    malformed = true;
    return wabt::Result::Error;
  }
  wabt::Result enter(const char* instruction) {
    if (control_in_constant(instruction) != wabt::Result::Ok) return wabt::Result::Error;
    if (++depth_ <= kMaxBlockNesting) return wabt::Result::Ok;
    refusal = "function " + std::to_string(function_) + " nests blocks more than " +
              std::to_string(kMaxBlockNesting) + " deep";
    return wabt::Result::Error;
  }
  wabt::Result table(wabt::Index index, const wabt::Limits* limits) {
    if (limits->initial <= kMaxTableElements) return wabt::Result::Ok;
    refusal = "table " + std::to_string(index) + " starts with " + std::to_string(limits->initial) +
              " entries, more than " + std::to_string(kMaxTableElements);
    return wabt::Result::Error;
  }

  wabt::Index function_ = 0;
  std::uint32_t depth_ = 0;
  const char* constant_ = nullptr;  // what the constant expression being read belongs to
};

}  // namespace

Expected<ParsedModule> read_module(std::span<const std::uint8_t> bytes, const std::string& name) {
  {
    StructureCheck check;
    // With every proposal readable, so that what the second IR read below would meet (a `try`
    // in a constant expression, say) is refused here too.
    wabt::ReadBinaryOptions options(readable_features(), nullptr, /*read_debug_names=*/false,
                                    /*stop_on_first_error=*/true,
                                    /*fail_on_custom_section_error=*/false);
    wabt::ReadBinary(bytes.data(), bytes.size(), &check, options);
    if (!check.refusal.empty()) {
      return make_error(check.malformed ? Errc::kMalformedModule : Errc::kUnsupportedFeature,
                        name + ": " + check.refusal);
    }
  }
  auto module = std::make_unique<wabt::Module>();
  wabt::Errors errors;
  // Debug names are read: trap reports name functions as the source did.
  wabt::ReadBinaryOptions options(supported_features(), nullptr, /*read_debug_names=*/true,
                                  /*stop_on_first_error=*/true,
                                  /*fail_on_custom_section_error=*/false);
  if (wabt::Failed(wabt::ReadBinaryIr(name.c_str(), bytes.data(), bytes.size(), options, &errors,
                                      module.get()))) {
    if (reads_with_all_features(bytes)) {
      return make_error(Errc::kUnsupportedFeature,
                        name + ": uses a WebAssembly proposal this engine does not support (" +
                            format_wabt_errors(errors) + ")");
    }
    return make_error(Errc::kMalformedModule, name + ": " + format_wabt_errors(errors));
  }
  wabt::ValidateOptions validate_options(supported_features());
  if (wabt::Failed(wabt::ValidateModule(module.get(), &errors, validate_options))) {
    return make_error(Errc::kInvalidModule, name + ": " + format_wabt_errors(errors));
  }
  for (const wabt::Import* import : module->imports) {
    if (import->kind() != wabt::ExternalKind::Func) {
      return make_error(Errc::kUnsupportedFeature,
                        name + ": imports " + extern_kind_name(extern_kind(import->kind())) +
                            " \"" + import->module_name + "\" \"" + import->field_name +
                            "\"; only function imports are supported");
    }
  }
  if (module->memories.empty() && !module->data_segments.empty()) {
    // Only passive segments validate without a memory, and nothing can copy them anywhere;
    // the C writer cannot name the memory they nominally belong to.
    return make_error(Errc::kUnsupportedFeature,
                      name + ": data segments without a memory to copy them into");
  }
  if (module->memories.size() > 1) {
    return make_error(Errc::kUnsupportedFeature, name + ": more than one memory");
  }
  // libwabt's reader takes a typed reference (function-references) as a table's or an element
  // segment's element type even with that proposal off, and neither its validator nor its C
  // writer (which aborts on it) refuses it: found by fuzz_loader.
  const auto plain_reference = [](wabt::Type type) {
    return type == wabt::Type::FuncRef || type == wabt::Type::ExternRef;
  };
  const auto typed_references = [&](const std::string& what) {
    return make_error(Errc::kUnsupportedFeature,
                      name + ": " + what +
                          " holds typed references (the function-references proposal), which "
                          "this engine does not support");
  };
  for (size_t i = 0; i < module->tables.size(); ++i) {
    if (!plain_reference(module->tables[i]->elem_type)) {
      return typed_references("table " + std::to_string(i));
    }
  }
  for (size_t i = 0; i < module->elem_segments.size(); ++i) {
    if (!plain_reference(module->elem_segments[i]->elem_type)) {
      return typed_references("element segment " + std::to_string(i));
    }
  }
  for (size_t i = module->num_func_imports; i < module->funcs.size(); ++i) {
    const wabt::Func* func = module->funcs[i];
    if (func->GetNumParamsAndLocals() > kMaxFunctionLocals) {
      const std::string function =
          func->name.empty() ? "f" + std::to_string(i) : func->name.substr(1);
      return make_error(Errc::kUnsupportedFeature,
                        name + ": function `" + function + "` has " +
                            std::to_string(func->GetNumParamsAndLocals()) +
                            " params and locals; at most " + std::to_string(kMaxFunctionLocals) +
                            " are supported");
    }
  }
  ModuleDescription description = describe(*module);
  return ParsedModule{std::move(module), std::move(description)};
}

}  // namespace lunatic::engine
