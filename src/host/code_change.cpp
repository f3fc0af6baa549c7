#include "host/code_change.hpp"

#include <fmt/core.h>

#include <utility>

#include "engine/module.hpp"
#include "host/code_upgrade.hpp"
#include "host/guest_abi.hpp"
#include "host/host_context.hpp"
#include "runtime/process.hpp"
#include "runtime/trace_recorder.hpp"

namespace lunatic::host {
namespace {

// Ends an attempt that failed: the old code goes on, the asker learns why. A kill or an exit
// that ended a guest call goes on unwinding the process.
void give_up(HostContext& context, const engine::CallOutcome& outcome, const std::string& why) {
  std::unique_ptr<CodeChange> change = std::move(context.code_change);
  change->ticket->settle(UpgradeBatch::Answer::kFailed, why);
  change.reset();
  keep_unwinding_unless_trap(outcome);
}

// The process's code hands no state over, and the upgrade asked for a restart: the process
// ends (a failure, so its supervisor starts it again), and the asker counts it restarted.
[[noreturn]] void restart_for_upgrade(HostContext& context, const std::string& why) {
  std::unique_ptr<CodeChange> change = std::move(context.code_change);
  change->ticket->settle(UpgradeBatch::Answer::kRestarted);
  throw engine::GuestTrap{engine::TrapKind::kKilled, "restarted for a code upgrade: " + why};
}

// Calls an export of type () -> (i32); a return of 0 is success.
engine::CallOutcome call_status_export(engine::Instance& instance, const char* name,
                                       std::uint64_t& status) {
  const lunatic_export_t* entry = instance.module().find_export(name);
  if (entry == nullptr) {
    engine::CallOutcome missing;
    missing.kind = engine::TrapKind::kHostError;
    missing.message = fmt::format("no export `{}`", name);
    return missing;
  }
  std::uint64_t result[1] = {0};
  engine::CallOutcome outcome = instance.call(*entry, {}, result);
  status = result[0] & 0xFFFF'FFFF;
  return outcome;
}

}  // namespace

void run_pending_upgrade(HostContext& context) {
  auto ticket = std::static_pointer_cast<UpgradeTicket>(context.process->take_upgrade());
  if (ticket == nullptr || !ticket->take()) return;
  if (context.code_change != nullptr) {
    // An upgrade reached from inside another one's save or load: not now.
    ticket->settle(UpgradeBatch::Answer::kFailed, "it is already moving to new code");
    return;
  }
  engine::Instance& old = *context.instance;
  context.code_change = std::make_unique<CodeChange>();
  context.code_change->ticket = ticket;

  std::uint64_t status = 0;
  engine::CallOutcome saved = call_status_export(old, kUpgradeSaveExport, status);
  if (!saved.ok()) return give_up(context, saved, "lunatic_upgrade_save: " + saved.describe());
  if (status != 0 || !context.code_change->saved) {
    const std::string why = status != 0
                                ? fmt::format("lunatic_upgrade_save refused (returned {})", status)
                                : "lunatic_upgrade_save handed over no state (save_state)";
    if (ticket->restart) restart_for_upgrade(context, why);
    return give_up(context, saved, why);
  }

  engine::ExecutionState& execution = context.process->execution();
  const std::uint64_t bytes_before = execution.guest_memory_bytes.load(std::memory_order_relaxed);
  engine::InstanceLimits limits;
  limits.max_memory_bytes = context.config->max_memory;
  limits.max_fuel = context.config->max_fuel * kFuelUnit;
  auto created = engine::Instance::create(ticket->target->variant_for_new_instance(), &context,
                                          &execution, limits);
  if (!created) {
    return give_up(context, {},
                   "cannot make an instance of the new code: " + created.error().message);
  }
  std::unique_ptr<engine::Instance> next = std::move(*created);
  context.code_change->phase = CodeChange::Phase::kLoading;
  context.instance = next.get();  // host calls of the new code see its memory
  engine::CallOutcome loaded = next->instantiate();
  std::string why;
  if (!loaded.ok()) {
    why = "the new code's instantiation: " + loaded.describe();
  } else {
    loaded = call_status_export(*next, kUpgradeLoadExport, status);
    if (!loaded.ok()) {
      why = "lunatic_upgrade_load: " + loaded.describe();
    } else if (status != 0) {
      why = fmt::format("lunatic_upgrade_load refused the state (returned {})", status);
    }
  }
  context.instance = &old;
  if (!why.empty()) {
    next.reset();  // its memory goes back before the old code runs on
    execution.guest_memory_bytes.store(bytes_before, std::memory_order_relaxed);
    return give_up(context, loaded, why);
  }
  context.code_change->next_memory_bytes =
      execution.guest_memory_bytes.load(std::memory_order_relaxed) - bytes_before;
  context.code_change->next_instance = std::move(next);
  context.code_change->phase = CodeChange::Phase::kReady;
  context.code_change->state = std::string();  // converted: the new code holds it now
  throw engine::GuestTrap{engine::TrapKind::kUpgrade, {}};
}

const lunatic_export_t& switch_code(HostContext& context,
                                    std::unique_ptr<engine::Instance>& instance) {
  std::unique_ptr<CodeChange> change = std::move(context.code_change);
  instance = std::move(change->next_instance);  // the old instance and its memory are freed
  context.instance = instance.get();
  context.module = change->ticket->target;
  context.process->execution().guest_memory_bytes.store(change->next_memory_bytes,
                                                        std::memory_order_relaxed);
  context.process->set_module(context.module);
  change->ticket->settle(UpgradeBatch::Answer::kUpgraded);
  // run_pending_upgrade's caller checked the export and its type before asking.
  return *instance->module().find_export(kUpgradeResumeExport);
}

}  // namespace lunatic::host
