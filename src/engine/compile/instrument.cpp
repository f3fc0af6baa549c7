#include "engine/compile/instrument.hpp"

#include <wabt/apply-names.h>
#include <wabt/cast.h>
#include <wabt/error-formatter.h>
#include <wabt/generate-names.h>
#include <wabt/ir.h>
#include <wabt/resolve-names.h>
#include <wabt/validator.h>

#include <algorithm>
#include <functional>

#include "engine/compile/wasm_reader.hpp"

namespace lunatic::engine {
namespace {

// Gives every entity a name of the form <prefix><index> and rebuilds its bindings.
template <class T>
void rename_all(std::vector<T*>& items, wabt::BindingHash& bindings, const char* prefix) {
  bindings.clear();
  for (size_t i = 0; i < items.size(); ++i) {
    items[i]->name = std::string("$") + prefix + std::to_string(i);
    bindings.emplace(items[i]->name, wabt::Binding(static_cast<wabt::Index>(i)));
  }
}

// Visits every expression list of a function body, nested blocks included.
void for_each_expr(wabt::ExprList& exprs, const std::function<void(wabt::Expr&)>& visit) {
  for (wabt::Expr& expr : exprs) {
    visit(expr);
    switch (expr.type()) {
      case wabt::ExprType::Block:
        for_each_expr(wabt::cast<wabt::BlockExpr>(&expr)->block.exprs, visit);
        break;
      case wabt::ExprType::Loop:
        for_each_expr(wabt::cast<wabt::LoopExpr>(&expr)->block.exprs, visit);
        break;
      case wabt::ExprType::If: {
        auto* if_expr = wabt::cast<wabt::IfExpr>(&expr);
        for_each_expr(if_expr->true_.exprs, visit);
        for_each_expr(if_expr->false_, visit);
        break;
      }
      default:
        break;
    }
  }
}

// The call graph over defined functions plus one node standing for "any function reachable
// through a table or a reference"; returns, per function index, whether it lies on a cycle.
std::vector<bool> functions_on_cycles(wabt::Module& module) {
  const size_t function_count = module.funcs.size();
  const size_t indirect_node = function_count;
  std::vector<std::vector<size_t>> edges(function_count + 1);

  auto reference_target = [&](const wabt::Var& var) {
    wabt::Index index = module.GetFuncIndex(var);
    if (index >= module.num_func_imports && index < function_count) {
      edges[indirect_node].push_back(index);
    }
  };
  auto direct_call = [&](size_t caller, const wabt::Var& var) {
    wabt::Index index = module.GetFuncIndex(var);
    if (index >= module.num_func_imports && index < function_count) edges[caller].push_back(index);
  };
  for (wabt::ElemSegment* segment : module.elem_segments) {
    for (wabt::ExprList& elem : segment->elem_exprs) {
      for (wabt::Expr& expr : elem) {
        if (expr.type() == wabt::ExprType::RefFunc) {
          reference_target(wabt::cast<wabt::RefFuncExpr>(&expr)->var);
        }
      }
    }
  }
  for (size_t f = module.num_func_imports; f < function_count; ++f) {
    for_each_expr(module.funcs[f]->exprs, [&](wabt::Expr& expr) {
      switch (expr.type()) {
        case wabt::ExprType::Call:
          direct_call(f, wabt::cast<wabt::CallExpr>(&expr)->var);
          break;
        case wabt::ExprType::ReturnCall:
          direct_call(f, wabt::cast<wabt::ReturnCallExpr>(&expr)->var);
          break;
        case wabt::ExprType::CallIndirect:
        case wabt::ExprType::ReturnCallIndirect:
        case wabt::ExprType::CallRef:
          edges[f].push_back(indirect_node);
          break;
        case wabt::ExprType::RefFunc:
          reference_target(wabt::cast<wabt::RefFuncExpr>(&expr)->var);
          break;
        default:
          break;
      }
    });
  }

  // Tarjan's strongly connected components, iterative so deep graphs cannot overflow the stack.
  const size_t node_count = function_count + 1;
  std::vector<int> index_of(node_count, -1), low(node_count, 0);
  std::vector<bool> on_stack(node_count, false), on_cycle(node_count, false);
  std::vector<size_t> stack;
  int next_index = 0;
  struct Frame {
    size_t node;
    size_t edge;
  };
  for (size_t root = module.num_func_imports; root < node_count; ++root) {
    if (index_of[root] != -1) continue;
    std::vector<Frame> frames{{root, 0}};
    index_of[root] = low[root] = next_index++;
    stack.push_back(root);
    on_stack[root] = true;
    while (!frames.empty()) {
      Frame& frame = frames.back();
      if (frame.edge < edges[frame.node].size()) {
        size_t next = edges[frame.node][frame.edge++];
        if (next == frame.node) on_cycle[next] = true;
        if (index_of[next] == -1) {
          index_of[next] = low[next] = next_index++;
          stack.push_back(next);
          on_stack[next] = true;
          frames.push_back({next, 0});
        } else if (on_stack[next]) {
          low[frame.node] = std::min(low[frame.node], index_of[next]);
        }
        continue;
      }
      size_t node = frame.node;
      frames.pop_back();
      if (!frames.empty()) low[frames.back().node] = std::min(low[frames.back().node], low[node]);
      if (low[node] == index_of[node]) {
        std::vector<size_t> component;
        size_t member;
        do {
          member = stack.back();
          stack.pop_back();
          on_stack[member] = false;
          component.push_back(member);
        } while (member != node);
        if (component.size() > 1) {
          for (size_t m : component) on_cycle[m] = true;
        }
      }
    }
  }
  on_cycle.resize(function_count);
  return on_cycle;
}

// budget -= 1; if (budget < 0) yield();
wabt::ExprList make_check(const std::string& budget, const std::string& hook) {
  using namespace wabt;
  ExprList check;
  check.push_back(std::make_unique<GlobalGetExpr>(Var(budget, Location())));
  check.push_back(std::make_unique<ConstExpr>(Const::I32(1)));
  check.push_back(std::make_unique<BinaryExpr>(Opcode::I32Sub));
  check.push_back(std::make_unique<GlobalSetExpr>(Var(budget, Location())));
  check.push_back(std::make_unique<GlobalGetExpr>(Var(budget, Location())));
  check.push_back(std::make_unique<ConstExpr>(Const::I32(0)));
  check.push_back(std::make_unique<CompareExpr>(Opcode::I32LtS));
  auto branch = std::make_unique<IfExpr>();
  branch->true_.exprs.push_back(std::make_unique<CallExpr>(Var(hook, Location())));
  check.push_back(std::move(branch));
  return check;
}

// Field order defines index order, so a new field goes right after the last one of its kind.
void insert_after_last(wabt::Module& module, wabt::ModuleFieldType kind,
                       std::unique_ptr<wabt::ModuleField> field) {
  auto position = module.fields.begin();
  for (auto it = module.fields.begin(); it != module.fields.end(); ++it) {
    if (it->type() == kind) position = std::next(it);
  }
  module.fields.insert(position, std::move(field));
}

// The index of a `() -> ()` function type, added (after the existing types) if missing.
wabt::Index nullary_type_index(wabt::Module& module) {
  for (size_t i = 0; i < module.types.size(); ++i) {
    auto* type = wabt::dyn_cast<wabt::FuncType>(module.types[i]);
    if (type != nullptr && type->sig.param_types.empty() && type->sig.result_types.empty()) {
      return static_cast<wabt::Index>(i);
    }
  }
  auto field = std::make_unique<wabt::TypeModuleField>();
  field->type = std::make_unique<wabt::FuncType>();
  wabt::TypeEntry* entry = field->type.get();
  insert_after_last(module, wabt::ModuleFieldType::Type, std::move(field));
  module.types.push_back(entry);
  return static_cast<wabt::Index>(module.types.size() - 1);
}

void prepend(wabt::ExprList& target, wabt::ExprList&& check) {
  target.splice(target.begin(), check);
}

}  // namespace

Expected<InstrumentedModule> instrument_for_preemption(wabt::Module& module) {
  InstrumentedModule result;
  // Names as the module had them; unnamed functions are called by their original index.
  for (size_t i = 0; i < module.funcs.size(); ++i) {
    const std::string& name = module.funcs[i]->name;
    result.function_names.push_back(name.empty() ? "f" + std::to_string(i) : name.substr(1));
  }

  // Predictable names first, then every index reference becomes a name reference, so that
  // inserting an import below cannot make any reference point at the wrong function.
  rename_all(module.funcs, module.func_bindings, "f");
  rename_all(module.globals, module.global_bindings, "g");
  rename_all(module.memories, module.memory_bindings, "m");
  rename_all(module.tables, module.table_bindings, "t");
  rename_all(module.elem_segments, module.elem_segment_bindings, "e");
  rename_all(module.data_segments, module.data_segment_bindings, "d");
  // Local names from the name section could collide with the C writer's own; drop them.
  for (wabt::Func* func : module.funcs) func->bindings.clear();
  if (wabt::Failed(wabt::ApplyNames(&module))) {
    return make_error(Errc::kInvalidModule, "instrumentation: could not resolve names");
  }
  std::vector<bool> on_cycle = functions_on_cycles(module);

  // The hook: a function import placed after the existing ones.
  const std::string hook_name = "$lunatic_yield_hook";
  auto import = std::make_unique<wabt::FuncImport>(hook_name);
  import->module_name = kYieldHookModule;
  import->field_name = kYieldHookName;
  wabt::Func* hook = &import->func;
  hook->decl.has_func_type = true;
  hook->decl.type_var = wabt::Var(nullary_type_index(module), wabt::Location());
  auto import_field = std::make_unique<wabt::ImportModuleField>(std::move(import));
  wabt::Import* import_ptr = import_field->import.get();
  insert_after_last(module, wabt::ModuleFieldType::Import, std::move(import_field));
  module.imports.push_back(import_ptr);
  module.funcs.insert(module.funcs.begin() + module.num_func_imports, hook);
  result.yield_import_index = module.num_func_imports;
  ++module.num_func_imports;
  module.func_bindings.clear();
  for (size_t i = 0; i < module.funcs.size(); ++i) {
    module.func_bindings.emplace(module.funcs[i]->name, wabt::Binding(static_cast<wabt::Index>(i)));
  }
  // Built in place: gcc 12 warns (-Warray-bounds, a false positive) when a temporary string is
  // moved into the vector here.
  result.function_names.emplace(result.function_names.begin() + result.yield_import_index,
                                "lunatic_yield_hook");
  on_cycle.insert(on_cycle.begin() + result.yield_import_index, false);

  // The budget global, appended (defined globals follow imported ones, so no index moves).
  const std::string budget_name = "$lunatic_budget";
  auto global_field = std::make_unique<wabt::GlobalModuleField>(wabt::Location(), budget_name);
  global_field->global.type = wabt::Type::I32;
  global_field->global.mutable_ = true;
  global_field->global.init_expr.push_back(std::make_unique<wabt::ConstExpr>(wabt::Const::I32(0)));
  module.AppendField(std::move(global_field));
  result.budget_global_index = static_cast<std::uint32_t>(module.globals.size() - 1);

  for (size_t f = module.num_func_imports; f < module.funcs.size(); ++f) {
    wabt::Func* func = module.funcs[f];
    for_each_expr(func->exprs, [&](wabt::Expr& expr) {
      if (expr.type() == wabt::ExprType::Loop) {
        prepend(wabt::cast<wabt::LoopExpr>(&expr)->block.exprs, make_check(budget_name, hook_name));
        ++result.checked_loops;
      }
    });
    if (on_cycle[f]) {
      prepend(func->exprs, make_check(budget_name, hook_name));
      ++result.checked_functions;
    }
  }

  // Back to index references (the validator works on those), then check our own work.
  wabt::Errors errors;
  wabt::Features features;
  features.disable_simd();
  wabt::ValidateOptions options(features);
  if (wabt::Failed(wabt::ResolveNamesModule(&module, &errors)) ||
      wabt::Failed(wabt::ValidateModule(&module, &errors, options))) {
    return make_error(Errc::kInvalidModule,
                      "instrumentation produced an invalid module: " + format_wabt_errors(errors));
  }
  // The C writer needs every label and local named; entities named above keep their names.
  if (wabt::Failed(wabt::GenerateNames(&module)) || wabt::Failed(wabt::ApplyNames(&module))) {
    return make_error(Errc::kInvalidModule, "instrumentation: could not name labels and locals");
  }
  return result;
}

}  // namespace lunatic::engine
