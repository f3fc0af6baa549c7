// One instance of a loaded module: its memory, tables and globals, and calls into it.
//
// Every entry into guest code (instantiation, which runs the start function, and export calls)
// goes through enter(), which sets this fiber's trap target, so a trap anywhere below ends in a
// CallOutcome instead of a crash. Thread: the thread running the owning fiber.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "common/error.hpp"
#include "engine/execution/execution.hpp"
#include "engine/loaded_module.hpp"
#include "engine/memory/guest_memory.hpp"

namespace lunatic::engine {

struct InstanceLimits {
  std::uint64_t max_memory_bytes = std::uint64_t{1} << 32;  // memory.grow fails beyond this
  std::uint64_t max_fuel = 0;                               // 0: unlimited
};

struct CallOutcome {
  TrapKind kind = TrapKind::kNone;  // kNone: returned normally; kExit: proc_exit
  std::uint32_t exit_code = 0;
  std::string message;   // host detail, if any
  std::string function;  // where a trap happened, if known

  bool ok() const { return kind == TrapKind::kNone; }
  std::string describe() const;  // "out of bounds memory access in function `foo`"
};

class Instance {
 public:
  // Preemption checks between refills of the budget.
  static constexpr std::int32_t kBudgetSlice = 10000;

  // Allocates the instance; nothing of the guest runs until instantiate(). Every import the
  // instance calls receives `import_context` as its first argument.
  static Expected<std::unique_ptr<Instance>> create(std::shared_ptr<const LoadedModule> module,
                                                    void* import_context, ExecutionState* execution,
                                                    InstanceLimits limits);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // Creates memories and tables, applies segments and runs the start function.
  CallOutcome instantiate();

  // Calls an exported function. `args` and `results` hold one 64-bit slot per value.
  CallOutcome call(const lunatic_export_t& function, std::span<const std::uint64_t> args,
                   std::span<std::uint64_t> results);

  const LoadedModule& module() const { return *module_; }
  // The memory mode of the variant this instance was created from (kGuard or kBounds).
  MemoryMode memory_mode() const { return module_->contract().memory_mode; }
  // Inline: host functions ask for it on nearly every call (a message hop asks twice).
  GuestMemory memory() const {
    if (memory_ == nullptr || memory_->data == nullptr) return GuestMemory(nullptr, 0);
    return GuestMemory(memory_->data, memory_->size);
  }

  // Called by the yield hook when the budget ran out: accounts the spent fuel and refills.
  // Returns false when the fuel limit is exceeded.
  bool refill_budget();

 private:
  Instance() = default;
  CallOutcome enter(void (*entry)(void*, void*, void*), void* a, void* b);
  // Makes the fiber's execution state describe this instance's memory: its mode, limit and
  // guard reservation (a process may move from one instance to another, see code upgrade).
  void bind_memory();

  std::shared_ptr<const LoadedModule> module_;
  void* raw_ = nullptr;  // the generated instance struct
  // The memory's descriptor inside *raw_ (its address never changes; memory.grow updates its
  // data and size), or nullptr when the module has none.
  wasm_rt_memory_t* memory_ = nullptr;
  void* import_context_ = nullptr;
  ExecutionState* execution_ = nullptr;
  InstanceLimits limits_;
  bool instantiated_ = false;
  std::uint64_t fuel_used_ = 0;
};

}  // namespace lunatic::engine
