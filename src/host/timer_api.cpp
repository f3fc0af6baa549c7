// lunatic::timer, as Lunatic 0.13 defines it. The scheduler keeps the pending messages with
// every other deadline (runtime/timers.hpp), so a live timer costs one heap entry and a map
// slot, and no task or thread.
#include "host/timer_api.hpp"

#include "host/environment.hpp"
#include "host/guest_abi.hpp"
#include "runtime/process.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::host {
namespace {

// send_after(process_id: i64, delay_ms: i64) -> i64: sends the scratch message to the process
// after the delay and returns the timer's id. A process that is gone by then never gets it.
// Traps: no message in the scratch area.
std::uint64_t send_after(HostContext& context, std::uint64_t process_id, std::uint64_t delay_ms) {
  Environment& environment = environment_of(context);
  if (!context.scratch) fail("no message in the scratch area");
  return environment.scheduler().send_after(deadline_in(delay_ms), context.process->id(),
                                            process_id, std::move(context.scratch));
}

// cancel_timer(timer_id: i64) -> i32: 1 when the timer was pending and will not fire; 0 when it
// has fired, was cancelled already, or is not one of this process's timers.
std::uint32_t cancel_timer(HostContext& context, std::uint64_t timer_id) {
  Environment& environment = environment_of(context);
  return environment.scheduler().cancel_timer(context.process->id(), timer_id) ? 1 : 0;
}

}  // namespace

std::vector<engine::ImportFunction> timer_functions() {
  constexpr ImportName m{"lunatic::timer"};
  return {
      host_function<&send_after, m, "send_after">(),
      host_function<&cancel_timer, m, "cancel_timer">(),
  };
}

}  // namespace lunatic::host
