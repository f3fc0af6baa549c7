#include "host/instrumentation_api.hpp"

#include "engine/compile/instrument.hpp"
#include "engine/execution/instance.hpp"
#include "runtime/blocking.hpp"

namespace lunatic::host {
namespace {

// yield() -> ()
// Called by preemption checks when the instance's budget runs out.
// Returns: after accounting fuel and, when the time slice is spent, letting others run.
// Traps: out of fuel, when the process's fuel limit is exceeded.
void yield_hook(HostContext& context) {
  if (!context.instance->refill_budget()) {
    throw engine::GuestTrap{engine::TrapKind::kOutOfFuel, {}};
  }
  if (context.blocking != nullptr) context.blocking->preempt_point();
}

}  // namespace

// The import the instrumentation inserts, under the name it gives it.
constexpr ImportName kYieldModule{"lunatic_engine"};
constexpr ImportName kYieldName{"yield"};
static_assert(kYieldModule.view() == engine::kYieldHookModule &&
              kYieldName.view() == engine::kYieldHookName);

std::vector<engine::ImportFunction> instrumentation_functions() {
  return {host_function<&yield_hook, kYieldModule, kYieldName>()};
}

}  // namespace lunatic::host
