#include "engine/compile/c_generator.hpp"

#include <wabt/c-writer.h>
#include <wabt/cast.h>
#include <wabt/ir.h>
#include <wabt/stream.h>

#include <set>
#include <sstream>
#include <string_view>
#include <vector>

#include "engine/compile/wasm_reader.hpp"

namespace lunatic::engine {
namespace {

constexpr const char* kModuleName = "m";

struct ImportPrototype {
  std::string module;  // as named in the writer's comment
  std::string name;
  std::string return_type;
  std::string symbol;
  std::vector<std::string> params;  // params[0] is the import module's instance pointer
};

// The C writer's symbol for an entity that instrumentation named ($f12 -> w2c_f12).
std::string c_symbol(const std::string& wasm_name) { return "w2c_" + wasm_name.substr(1); }

std::string trim(const std::string& text) {
  size_t begin = text.find_first_not_of(" \t");
  size_t end = text.find_last_not_of(" \t");
  return begin == std::string::npos ? std::string() : text.substr(begin, end - begin + 1);
}

// The C writer declares each import in module.h as a line `/* import: 'mod' 'name' */`
// followed by its prototype; the shim defines those functions, so it reads them back.
Expected<std::vector<ImportPrototype>> parse_import_prototypes(const std::string& header) {
  std::vector<ImportPrototype> prototypes;
  std::istringstream lines(header);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("/* import: ", 0) != 0) continue;
    // The comment reads: /* import: 'module' 'name' */
    const size_t m1 = line.find('\'');
    const size_t m2 = line.find('\'', m1 + 1);
    const size_t n1 = line.find('\'', m2 + 1);
    const size_t n2 = line.rfind('\'');
    if (m1 == std::string::npos || m2 == std::string::npos || n1 == std::string::npos || n2 <= n1) {
      return make_error(Errc::kUnsupportedFeature, "unexpected import comment: " + line);
    }
    std::string prototype;
    if (!std::getline(lines, prototype)) break;
    size_t open = prototype.find('(');
    size_t close = prototype.rfind(')');
    if (open == std::string::npos || close == std::string::npos || close < open) {
      return make_error(Errc::kUnsupportedFeature, "unexpected import prototype: " + prototype);
    }
    std::string head = trim(prototype.substr(0, open));
    size_t split = head.find_last_of(" *");
    ImportPrototype entry;
    entry.module = line.substr(m1 + 1, m2 - m1 - 1);
    entry.name = line.substr(n1 + 1, n2 - n1 - 1);
    entry.symbol = head.substr(split + 1);
    entry.return_type = trim(head.substr(0, split + 1));
    std::string params = prototype.substr(open + 1, close - open - 1);
    size_t start = 0;
    while (start <= params.size()) {
      size_t comma = params.find(',', start);
      if (comma == std::string::npos) comma = params.size();
      std::string param = trim(params.substr(start, comma - start));
      if (!param.empty()) entry.params.push_back(param);
      start = comma + 1;
    }
    if (entry.params.empty()) {
      return make_error(Errc::kUnsupportedFeature, "import without instance pointer: " + prototype);
    }
    prototypes.push_back(std::move(entry));
  }
  return prototypes;
}

const char* c_type(wabt::Type type) {
  switch (type) {
    case wabt::Type::I32:
      return "u32";
    case wabt::Type::I64:
      return "u64";
    case wabt::Type::F32:
      return "f32";
    case wabt::Type::F64:
      return "f64";
    default:
      return nullptr;
  }
}

// wabt names a multi-value result struct by one letter per type, fields by letter and index.
char multi_value_letter(wabt::Type type) {
  switch (type) {
    case wabt::Type::I32:
      return 'i';
    case wabt::Type::I64:
      return 'j';
    case wabt::Type::F32:
      return 'f';
    case wabt::Type::F64:
      return 'd';
    default:
      return '?';
  }
}

std::string c_string_literal(const std::string& text) {
  std::string out = "\"";
  for (unsigned char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f || c == '?') {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\%03o", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

bool invocable(const wabt::FuncSignature& sig) {
  for (wabt::Type type : sig.param_types) {
    if (!c_type(type)) return false;
  }
  for (wabt::Type type : sig.result_types) {
    if (!c_type(type)) return false;
  }
  return true;
}

// A trampoline with one signature for every export: arguments and results as 64-bit slots.
void write_invoke(std::ostringstream& out, size_t export_index, const std::string& function,
                  const wabt::FuncSignature& sig) {
  out << "static void lunatic_invoke_" << export_index
      << "(void* instance, const uint64_t* args, uint64_t* results) {\n";
  out << "  (void)args; (void)results;\n  ";
  const size_t results = sig.result_types.size();
  if (results == 1) {
    out << c_type(sig.result_types[0]) << " r = ";
  } else if (results > 1) {
    out << "struct wasm_multi_";
    for (wabt::Type type : sig.result_types) out << multi_value_letter(type);
    out << " r = ";
  }
  out << function << "((Z_m_instance_t*)instance";
  for (size_t i = 0; i < sig.param_types.size(); ++i) {
    out << ", lunatic_arg_" << c_type(sig.param_types[i]) << "(args[" << i << "])";
  }
  out << ");\n";
  if (results == 1) {
    out << "  results[0] = lunatic_slot_" << c_type(sig.result_types[0]) << "(r);\n";
  } else {
    for (size_t i = 0; i < results; ++i) {
      out << "  results[" << i << "] = lunatic_slot_" << c_type(sig.result_types[i]) << "(r."
          << multi_value_letter(sig.result_types[i]) << i << ");\n";
    }
  }
  out << "}\n\n";
}

constexpr const char* kShimPrelude =
    R"(/* Generated by the lunatic engine: the host's fixed ABI for this module. */
#include "module.c"

const lunatic_rt_api_t* lunatic_rt;
static wasm_rt_function_ptr_t lunatic_imports[LUNATIC_IMPORT_COUNT + 1];

static inline u32 lunatic_arg_u32(uint64_t v) { return (u32)v; }
static inline u64 lunatic_arg_u64(uint64_t v) { return v; }
static inline f32 lunatic_arg_f32(uint64_t v) { u32 b = (u32)v; f32 f; memcpy(&f, &b, 4); return f; }
static inline f64 lunatic_arg_f64(uint64_t v) { f64 f; memcpy(&f, &v, 8); return f; }
static inline uint64_t lunatic_slot_u32(u32 v) { return v; }
static inline uint64_t lunatic_slot_u64(u64 v) { return v; }
static inline uint64_t lunatic_slot_f32(f32 v) { u32 b; memcpy(&b, &v, 4); return b; }
static inline uint64_t lunatic_slot_f64(f64 v) { uint64_t b; memcpy(&b, &v, 8); return b; }

static void lunatic_bind(const lunatic_rt_api_t* api, const wasm_rt_function_ptr_t* imports) {
  lunatic_rt = api;
  for (uint32_t i = 0; i < LUNATIC_IMPORT_COUNT; ++i) lunatic_imports[i] = imports[i];
}

static void lunatic_free_instance(void* instance) { Z_m_free((Z_m_instance_t*)instance); }

static uintptr_t* lunatic_stack_limit(void* instance) {
  return &((struct lunatic_instance*)instance)->stack_limit;
}

)";

// Inserted into the C writer's output right after its own (empty) FUNC_PROLOGUE: the stack
// limit lives in a struct that extends the instance, so the module's own initialization
// (which resets every wasm global) cannot clear it, and the check costs one load.
constexpr std::string_view kPrologueAnchor = "#define FUNC_EPILOGUE\n#endif\n";
constexpr std::string_view kStackCheck = R"(
/* Added by the lunatic engine: see LUNATIC_STACK_CHECK in wasm-rt.h. */
struct lunatic_instance {
  Z_m_instance_t module;
  uintptr_t stack_limit;
};
#undef FUNC_PROLOGUE
#define FUNC_PROLOGUE LUNATIC_STACK_CHECK(((struct lunatic_instance*)instance)->stack_limit)
)";

// The bulk operations of the C writer's prelude (wabt 1.0.32), each replaced once.
constexpr std::pair<std::string_view, std::string_view> kBulkCalls[] = {
    {"memset(mem->data + d, val, n);", "lunatic_fill(mem->data + d, val, n);"},
    {"  memmove(dest->data + dest_addr, src->data + src_addr, n);",
     "  lunatic_move(dest->data + dest_addr, src->data + src_addr, n);"},
    {"    memmove(dest->data + dest_addr, src->data + src_addr,                    \\\n"
     "            n * sizeof(wasm_rt_##type##_t));",
     "    lunatic_move(dest->data + dest_addr, src->data + src_addr,               \\\n"
     "                 (uint64_t)n * sizeof(wasm_rt_##type##_t));"},
    {"      table->data[i] = val;                                                   \\\n",
     "      table->data[i] = val;                                                   \\\n"
     "      lunatic_table_fill_progress(i - d + 1);                                 \\\n"},
};

}  // namespace

Expected<GeneratedC> generate_c(const wabt::Module& module,
                                const InstrumentedModule& instrumented) {
  wabt::MemoryStream c_stream;
  wabt::MemoryStream h_stream;
  wabt::WriteCOptions options;
  options.module_name = kModuleName;
  if (wabt::Failed(wabt::WriteC(&c_stream, &h_stream, "module.h", &module, options))) {
    return make_error(Errc::kUnsupportedFeature, "the C writer could not translate this module");
  }
  GeneratedC generated;
  const auto& c_bytes = c_stream.output_buffer().data;
  const auto& h_bytes = h_stream.output_buffer().data;
  generated.module_c.assign(c_bytes.begin(), c_bytes.end());
  generated.module_h.assign(h_bytes.begin(), h_bytes.end());
  const size_t anchor = generated.module_c.find(kPrologueAnchor);
  if (anchor == std::string::npos) {
    return make_error(Errc::kCompileFailed,
                      "the C writer's output has no FUNC_PROLOGUE to replace");
  }
  generated.module_c.insert(anchor + kPrologueAnchor.size(), kStackCheck);
  // One memory.fill or memory.copy may move 4 GiB, a table.copy or table.fill 384 MiB: large
  // ones go through the runtime in pieces, so the process can be preempted and killed between.
  for (const auto& [plain, piecewise] : kBulkCalls) {
    const size_t at = generated.module_c.find(plain);
    if (at == std::string::npos) {
      return make_error(Errc::kCompileFailed,
                        "the C writer's output has no `" + std::string(plain) + "` to replace");
    }
    generated.module_c.replace(at, plain.size(), piecewise);
  }

  auto prototypes = parse_import_prototypes(generated.module_h);
  if (!prototypes) return prototypes.error();
  // The writer declares one prototype per distinct (module, name): an import listed twice
  // (AssemblyScript does this) shares one. Two of them with different types cannot be
  // expressed in C.
  for (size_t i = 0; i < module.imports.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const auto* a = wabt::cast<wabt::FuncImport>(module.imports[i]);
      const auto* b = wabt::cast<wabt::FuncImport>(module.imports[j]);
      if (a->module_name == b->module_name && a->field_name == b->field_name &&
          !(a->func.decl.sig == b->func.decl.sig)) {
        return make_error(Errc::kUnsupportedFeature,
                          "import \"" + a->module_name + "\" \"" + a->field_name +
                              "\" is declared twice with different types");
      }
    }
  }

  std::ostringstream out;
  out << "#define LUNATIC_IMPORT_COUNT " << module.imports.size() << "\n" << kShimPrelude;

  // Imports: each call goes through the table the host bound (in module import order, which
  // is not the order the writer declares them in), cast to its exact type.
  for (const ImportPrototype& proto : *prototypes) {
    size_t k = 0;
    while (k < module.imports.size() && (module.imports[k]->module_name != proto.module ||
                                         module.imports[k]->field_name != proto.name)) {
      ++k;
    }
    if (k == module.imports.size()) {
      return make_error(Errc::kUnsupportedFeature,
                        "import names that need escaping are not supported: '" + proto.module +
                            "' '" + proto.name + "'");
    }
    out << proto.return_type << " " << proto.symbol << "(" << proto.params[0] << " ctx";
    for (size_t p = 1; p < proto.params.size(); ++p) out << ", " << proto.params[p] << " a" << p;
    out << ") {\n  " << (proto.return_type == "void" ? "" : "return ") << "((" << proto.return_type
        << " (*)(void*";
    for (size_t p = 1; p < proto.params.size(); ++p) out << ", " << proto.params[p];
    out << "))lunatic_imports[" << k << "])(ctx";
    for (size_t p = 1; p < proto.params.size(); ++p) out << ", a" << p;
    out << ");\n}\n\n";
  }

  std::set<std::string> import_modules;
  for (const wabt::Import* import : module.imports) import_modules.insert(import->module_name);
  out << "static void lunatic_instantiate(void* instance, void* ctx) {\n  (void)ctx;\n"
      << "  Z_m_instantiate((Z_m_instance_t*)instance";
  for (size_t i = 0; i < import_modules.size(); ++i) out << ", ctx";
  out << ");\n}\n\n";

  out << "static wasm_rt_memory_t* lunatic_memory(void* instance) {\n";
  if (module.memories.empty()) {
    out << "  (void)instance;\n  return NULL;\n";
  } else {
    out << "  return &((Z_m_instance_t*)instance)->" << c_symbol(module.memories[0]->name) << ";\n";
  }
  out << "}\n\n";
  out << "static uint32_t* lunatic_budget(void* instance) {\n  return "
         "&((Z_m_instance_t*)instance)->"
      << c_symbol(module.globals[instrumented.budget_global_index]->name) << ";\n}\n\n";

  // Exports that the host can call.
  std::vector<std::string> export_rows;
  for (size_t e = 0; e < module.exports.size(); ++e) {
    const wabt::Export* exported = module.exports[e];
    if (exported->kind != wabt::ExternalKind::Func) continue;
    wabt::Index index = module.GetFuncIndex(exported->var);
    const wabt::Func* func = module.funcs[index];
    std::string invoke = "NULL";
    if (index >= module.num_func_imports && invocable(func->decl.sig)) {
      write_invoke(out, e, c_symbol(func->name), func->decl.sig);
      invoke = "lunatic_invoke_" + std::to_string(e);
    }
    export_rows.push_back("  {" + c_string_literal(exported->name) + ", " +
                          c_string_literal(signature_string(func->decl.sig)) + ", " + invoke +
                          "},\n");
  }
  out << "static const lunatic_export_t lunatic_exports[] = {\n";
  for (const auto& row : export_rows) out << row;
  out << "  {NULL, NULL, NULL}\n};\n\n";

  // Entry addresses of defined functions, to name the function a trap happened in.
  out << "static const lunatic_function_t lunatic_functions[] = {\n";
  for (size_t f = module.num_func_imports; f < module.funcs.size(); ++f) {
    const std::string& name = instrumented.function_names.at(f);
    out << "  {(const void*)&" << c_symbol(module.funcs[f]->name) << ", " << c_string_literal(name)
        << "},\n";
  }
  out << "  {NULL, NULL}\n};\n\n";

  out << "__attribute__((visibility(\"default\"))) const lunatic_artifact_t* "
         "lunatic_artifact_v1(void) {\n"
      << "  static const lunatic_artifact_t artifact = {\n"
      << "    LUNATIC_RT_ABI_VERSION, LUNATIC_MEMORY_MODE_GUARD, sizeof(struct lunatic_instance),\n"
      << "    LUNATIC_IMPORT_COUNT, lunatic_bind, Z_m_init_module, lunatic_instantiate,\n"
      << "    lunatic_free_instance, lunatic_memory, lunatic_budget, lunatic_stack_limit,\n"
      << "    " << export_rows.size() << ", lunatic_exports,\n"
      << "    " << (module.funcs.size() - module.num_func_imports) << ", lunatic_functions,\n"
      << "  };\n  return &artifact;\n}\n";
  generated.shim_c = out.str();
  return generated;
}

}  // namespace lunatic::engine
