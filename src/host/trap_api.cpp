#include "host/trap_api.hpp"

#include <string_view>

#include "engine/execution/instance.hpp"
#include "engine/loaded_module.hpp"
#include "host/guest_abi.hpp"

namespace lunatic::host {
namespace {

// catch(function: i32, pointer: i32) -> i32: calls the guest's `_lunatic_catch_trap(function,
// pointer)`; returns its result, or 0 if it trapped. A kill is not a trap: it still ends the
// process, and so does proc_exit (and an upgrade still moves it to its new code). Traps: the export
// is missing or has another type.
std::uint32_t trap_catch(HostContext& context, std::uint32_t function, std::uint32_t pointer) {
  const lunatic_export_t* entry = context.instance->module().find_export("_lunatic_catch_trap");
  if (entry == nullptr || entry->invoke == nullptr ||
      std::string_view(entry->signature) != "(i32 i32) -> (i32)") {
    fail("no export `_lunatic_catch_trap` of type (i32 i32) -> (i32)");
  }
  const std::uint64_t args[2] = {function, pointer};
  std::uint64_t result[1] = {0};
  engine::CallOutcome outcome = context.instance->call(*entry, args, result);
  if (outcome.ok()) return static_cast<std::uint32_t>(result[0]);
  keep_unwinding_unless_trap(outcome);
  return 0;
}

}  // namespace

std::vector<engine::ImportFunction> trap_functions() {
  return {
      host_function<&trap_catch, "lunatic::trap", "catch">(),
  };
}

}  // namespace lunatic::host
