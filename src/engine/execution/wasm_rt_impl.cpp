#include "engine/execution/wasm_rt_impl.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <string>
#include <unordered_map>

#include "engine/compile/module_limits.hpp"
#include "engine/execution/execution.hpp"
#include "engine/memory/linear_memory.hpp"
#include "engine/memory/table_storage.hpp"

namespace lunatic::engine {
namespace {

// Bulk fills and copies go in pieces of this size, with a checkpoint after each: one wasm
// instruction may move 4 GiB. Pieces of 8 MiB left a sleeper 40-120 ms late beside two
// processes copying 64 MiB in a loop (battery starve_memcopy); pieces of 1 MiB, 3-4 ms.
constexpr std::uint64_t kBulkPiece = std::uint64_t{1} << 20;
// Table entries are set one by one (table.grow here, table.fill in generated code) with a
// checkpoint after each this many.
constexpr std::uint64_t kTableFillPiece = LUNATIC_TABLE_FILL_PIECE;

// The GNU spelling: clang makes it part of the function's type, which the table's member
// (WASM_RT_NO_RETURN in wasm-rt.h) requires; [[noreturn]] is not part of a type.
__attribute__((noreturn)) void trap_from_generated_code(wasm_rt_trap_t reason) {
  ExecutionState* state = current_execution();
  if (state == nullptr || state->trap_target == nullptr) {
    std::fprintf(stderr, "lunatic: internal error: trap outside guest code\n");
    std::abort();
  }
  state->kind = trap_kind_from_wasm_rt(reason);
  state->message.clear();
  state->exit_code = 0;
  state->fault_pc = __builtin_return_address(0);
  // SAFETY: called only from generated C frames, which own nothing that needs destruction.
  siglongjmp(*state->trap_target, 1);
}

// Function type ids shared by every loaded module: equal signatures get equal ids, so
// call_indirect compares one integer. Id 0 is never handed out (null funcref entries).
std::uint32_t register_func_type(std::uint32_t params, std::uint32_t results,
                                 const wasm_rt_type_t* types) {
  static std::mutex mutex;
  static std::unordered_map<std::string, std::uint32_t> ids;
  std::string key = std::to_string(params) + ':';
  for (std::uint32_t i = 0; i < params + results; ++i) key += static_cast<char>('a' + types[i]);
  std::lock_guard lock(mutex);
  auto [it, inserted] = ids.emplace(key, static_cast<std::uint32_t>(ids.size() + 1));
  return it->second;
}

[[noreturn]] void fail_table(const char* why) {
  record_unwind(TrapKind::kHostError, why);
  unwind_guest();
}

// A table's entries count as guest memory: a table may hold 2^24 of them, hundreds of MiB.
template <class Element>
std::uint64_t table_bytes(std::uint64_t elements) {
  return elements * sizeof(Element);
}

template <class Table, class Element>
void allocate_table(Table* table, std::uint32_t elements, std::uint32_t max_elements) {
  if (elements > kMaxTableElements) fail_table("table: initial size too large");
  ExecutionState* state = current_execution();
  ResourceBudget* budget = state != nullptr ? state->budget : nullptr;
  if (!charge_guest_memory(state, table_bytes<Element>(elements))) {
    fail_table("table: its initial size would pass the guest memory limit");
  }
  table->size = elements;
  table->max_size = max_elements;
  table->budget = budget;
  table->data = static_cast<Element*>(allocate_table_storage(table_bytes<Element>(elements)));
  if (table->data == nullptr) {
    if (budget != nullptr) budget->release_memory(table_bytes<Element>(elements));
    table->budget = nullptr;
    table->size = 0;
    fail_table("table: out of host memory");
  }
}

template <class Table, class Element>
std::uint32_t grow_table(Table* table, std::uint32_t delta, Element init) {
  const std::uint64_t old_size = table->size;
  const std::uint64_t new_size = old_size + delta;
  if (new_size > table->max_size || new_size > kMaxTableElements) return UINT32_MAX;
  if (delta == 0) return static_cast<std::uint32_t>(old_size);
  auto* budget = static_cast<ResourceBudget*>(table->budget);
  if (budget != nullptr && !charge_guest_memory(current_execution(), table_bytes<Element>(delta))) {
    return UINT32_MAX;
  }
  auto* data = static_cast<Element*>(grow_table_storage(table->data, table_bytes<Element>(old_size),
                                                        table_bytes<Element>(new_size)));
  if (data == nullptr) {
    if (budget != nullptr) budget->release_memory(table_bytes<Element>(delta));
    return UINT32_MAX;
  }
  // Sized before the new entries are set: a kill at a checkpoint below frees the table whole.
  table->data = data;
  table->size = static_cast<std::uint32_t>(new_size);
  for (std::uint64_t i = old_size; i < new_size; ++i) {
    data[i] = init;
    if ((i - old_size + 1) % kTableFillPiece == 0) checkpoint_long_operation();
  }
  // Reallocating a large table is time the guest spent too (see fill_piecewise).
  if (table_bytes<Element>(new_size) >= kBulkPiece) checkpoint_long_operation();
  return static_cast<std::uint32_t>(old_size);
}

template <class Table, class Element>
void free_table(Table* table) {
  if (auto* budget = static_cast<ResourceBudget*>(table->budget)) {
    budget->release_memory(table_bytes<Element>(table->size));
  }
  free_table_storage(table->data, table_bytes<Element>(table->size));
  table->data = nullptr;
  table->size = 0;
  table->budget = nullptr;
}

void fill_piecewise(std::uint8_t* dest, std::uint32_t value, std::uint64_t n) {
  for (std::uint64_t done = 0; done < n; done += kBulkPiece) {
    // SAFETY: generated code checked [dest, dest + n) against the memory before calling.
    std::memset(dest + done, static_cast<int>(value), std::min(kBulkPiece, n - done));
    if (done + kBulkPiece < n) checkpoint_long_operation();
  }
}

void move_piecewise(std::uint8_t* dest, const std::uint8_t* src, std::uint64_t n) {
  // Overlapping ranges keep memmove's meaning: copy from the end when the destination is after
  // the source, so no piece overwrites bytes a later piece still has to read.
  const bool backward = dest > src && dest < src + n;
  for (std::uint64_t done = 0; done < n; done += kBulkPiece) {
    const std::uint64_t piece = std::min(kBulkPiece, n - done);
    const std::uint64_t offset = backward ? n - done - piece : done;
    // SAFETY: generated code checked both ranges against their memories (or tables) before.
    std::memmove(dest + offset, src + offset, piece);
    if (done + kBulkPiece < n) checkpoint_long_operation();
  }
}

const lunatic_rt_api_t kApi = {
    LUNATIC_RT_ABI_VERSION,
    trap_from_generated_code,
    register_func_type,
    allocate_linear_memory,
    grow_linear_memory,
    free_linear_memory,
    allocate_table<wasm_rt_funcref_table_t, wasm_rt_funcref_t>,
    free_table<wasm_rt_funcref_table_t, wasm_rt_funcref_t>,
    grow_table<wasm_rt_funcref_table_t, wasm_rt_funcref_t>,
    allocate_table<wasm_rt_externref_table_t, wasm_rt_externref_t>,
    free_table<wasm_rt_externref_table_t, wasm_rt_externref_t>,
    grow_table<wasm_rt_externref_table_t, wasm_rt_externref_t>,
    fill_piecewise,
    move_piecewise,
    checkpoint_long_operation,
};

}  // namespace

const lunatic_rt_api_t* wasm_rt_api() { return &kApi; }

TrapKind trap_kind_from_wasm_rt(wasm_rt_trap_t reason) {
  switch (reason) {
    case WASM_RT_TRAP_OOB:
      return TrapKind::kOutOfBounds;
    case WASM_RT_TRAP_INT_OVERFLOW:
      return TrapKind::kIntegerOverflow;
    case WASM_RT_TRAP_DIV_BY_ZERO:
      return TrapKind::kDivisionByZero;
    case WASM_RT_TRAP_INVALID_CONVERSION:
      return TrapKind::kInvalidConversion;
    case WASM_RT_TRAP_UNREACHABLE:
      return TrapKind::kUnreachable;
    case WASM_RT_TRAP_CALL_INDIRECT:
      return TrapKind::kIndirectCallMismatch;
    case WASM_RT_TRAP_EXHAUSTION:
      return TrapKind::kStackExhausted;
    default:
      return TrapKind::kUnreachable;
  }
}

}  // namespace lunatic::engine
