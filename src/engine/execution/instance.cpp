#include "engine/execution/instance.hpp"

#include <csetjmp>
#include <cstdlib>
#include <cstring>

#include "engine/execution/signals.hpp"
#include "engine/execution/stack_limits.hpp"
#include "engine/memory/linear_memory.hpp"

namespace lunatic::engine {

std::string CallOutcome::describe() const {
  std::string text = trap_kind_name(kind);
  if (!message.empty()) text += ": " + message;
  if (!function.empty()) text += " in function `" + function + "`";
  return text;
}

Expected<std::unique_ptr<Instance>> Instance::create(std::shared_ptr<const LoadedModule> module,
                                                     void* import_context,
                                                     ExecutionState* execution,
                                                     InstanceLimits limits) {
  install_trap_handlers();
  std::unique_ptr<Instance> instance(new Instance);
  const std::uint64_t size = module->abi().instance_size;
  instance->raw_ = std::aligned_alloc(64, (size + 63) & ~std::uint64_t{63});
  if (instance->raw_ == nullptr) return make_error(Errc::kInstantiateFailed, "out of memory");
  std::memset(instance->raw_, 0, size);
  instance->module_ = std::move(module);
  instance->memory_ = instance->module_->abi().memory(instance->raw_);
  instance->import_context_ = import_context;
  instance->execution_ = execution;
  instance->limits_ = limits;
  return instance;
}

Instance::~Instance() {
  if (instantiated_) module_->abi().free_instance(raw_);
  std::free(raw_);
}

namespace {

// What the execution state says of the running instance's memory. A call into another instance
// from a host call (a code upgrade's) saves the caller's and puts it back on return.
struct MemoryBinding {
  bool guard_memory;
  std::uint64_t limit_bytes;
  std::uintptr_t low;
  std::uintptr_t high;

  static MemoryBinding of(const ExecutionState& state) {
    return {state.guard_memory, state.memory_limit_bytes, state.memory_low, state.memory_high};
  }
  void restore(ExecutionState& state) const {
    state.guard_memory = guard_memory;
    state.memory_limit_bytes = limit_bytes;
    state.memory_low = low;
    state.memory_high = high;
  }
};

}  // namespace

CallOutcome Instance::enter(void (*entry)(void*, void*, void*), void* a, void* b) {
  ExecutionState* state = execution_;
  set_current_execution(state);
  ensure_signal_stack();
  sigjmp_buf target;
  sigjmp_buf* const saved = state->trap_target;
  const MemoryBinding outer = MemoryBinding::of(*state);
  state->trap_target = &target;
  state->kind = TrapKind::kNone;
  bind_memory();
  *module_->abi().stack_limit(raw_) =
      state->stack_low != 0 ? state->stack_low + kGuestStackMargin : 0;
  // Nothing with a destructor may be alive in this frame between sigsetjmp and a jump back.
  if (sigsetjmp(target, 0) == 0) {
    entry(raw_, a, b);
    state->trap_target = saved;
    if (saved != nullptr) outer.restore(*state);
    return CallOutcome{};
  }
  state->trap_target = saved;
  if (saved != nullptr) outer.restore(*state);
  CallOutcome outcome;
  outcome.kind = state->kind;
  outcome.exit_code = state->exit_code;
  outcome.message = std::move(state->message);
  if (state->fault_pc != nullptr) outcome.function = module_->function_name_at(state->fault_pc);
  return outcome;
}

CallOutcome Instance::instantiate() {
  auto run = [](void* raw, void* self, void*) {
    auto* instance = static_cast<Instance*>(self);
    const lunatic_artifact_t& abi = instance->module_->abi();
    *abi.budget(raw) = static_cast<std::uint32_t>(kBudgetSlice);
    abi.instantiate(raw, instance->import_context_);
  };
  // instantiate() may trap halfway (a failing segment or start function); the generated free
  // copes with a partly initialized instance because the struct started zeroed.
  instantiated_ = true;
  // Allocating the memory binds its reservation (allocate_linear_memory); a nested call puts
  // the caller's binding back when it returns.
  return enter(run, this, nullptr);
}

void Instance::bind_memory() {
  execution_->guard_memory = module_->guard_memory();
  execution_->memory_limit_bytes = limits_.max_memory_bytes;
  if (memory_ != nullptr && memory_->data != nullptr && module_->guard_memory()) {
    execution_->memory_low = reinterpret_cast<std::uintptr_t>(memory_->data);
    execution_->memory_high = execution_->memory_low + kGuardReservationBytes;
  } else {
    execution_->memory_low = 0;
    execution_->memory_high = 0;
  }
}

namespace {

// Number of value types in one half of "(i32 i64) -> (f32)".
std::size_t count_types(std::string_view list) {
  if (list.size() <= 2) return 0;  // "()"
  std::size_t count = 1;
  for (char c : list) count += c == ' ';
  return count;
}

}  // namespace

CallOutcome Instance::call(const lunatic_export_t& function, std::span<const std::uint64_t> args,
                           std::span<std::uint64_t> results) {
  const std::string_view signature = function.signature;
  const std::size_t arrow = signature.find(" -> ");
  const std::size_t params = count_types(signature.substr(0, arrow));
  const std::size_t returns = count_types(signature.substr(arrow + 4));
  if (args.size() != params || results.size() < returns || function.invoke == nullptr) {
    CallOutcome refused;
    refused.kind = TrapKind::kHostError;
    refused.message = std::string("`") + function.name + "` expects " + std::to_string(params) +
                      " argument(s) and " + std::to_string(returns) + " result slot(s)";
    return refused;
  }
  struct Call {
    lunatic_invoke_fn invoke;
    const std::uint64_t* args;
    std::uint64_t* results;
  } call{function.invoke, args.data(), results.data()};
  auto run = [](void* raw, void* data, void*) {
    auto* c = static_cast<Call*>(data);
    c->invoke(raw, c->args, c->results);
  };
  return enter(run, &call, nullptr);
}

bool Instance::refill_budget() {
  std::uint32_t* budget = module_->abi().budget(raw_);
  // The budget counts down from the slice; it is at most slightly negative when the hook runs.
  const auto remaining = static_cast<std::int32_t>(*budget);
  fuel_used_ +=
      static_cast<std::uint64_t>(kBudgetSlice - std::min<std::int32_t>(remaining, kBudgetSlice));
  *budget = static_cast<std::uint32_t>(kBudgetSlice);
  return limits_.max_fuel == 0 || fuel_used_ <= limits_.max_fuel;
}

}  // namespace lunatic::engine
