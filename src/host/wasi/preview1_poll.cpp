// wasi_snapshot_preview1: poll_oneoff.
//
// Returns a WASI errno (0 on success) and never traps for a bad guest pointer (that is
// EFAULT). Traps with kHostError only when the process has no WasiContext, or must wait and
// has no scheduler.
#include <cstdint>
#include <vector>

#include "host/wasi/preview1_guest.hpp"
#include "host/wasi/preview1_parts.hpp"
#include "wasi/poll_service.hpp"

namespace lunatic::wasi {

namespace {

using host::HostContext;
using u32 = std::uint32_t;

namespace thunk {
u32 poll_oneoff(HostContext& ctx, u32 in, u32 out, u32 nsubscriptions, u32 nevents_out);
}  // namespace thunk

}  // namespace

std::vector<engine::ImportFunction> preview1_poll_functions() {
  using host::host_function;
  return {
      host_function<&thunk::poll_oneoff, kPreview1Module,
                    "poll_oneoff">(),  // (i32 i32 i32 i32) -> (i32)
  };
}

namespace {

namespace thunk {

// poll_oneoff(in: *subscription, out: *event, nsubscriptions: size) -> (errno, size)
// Returns: success with the events (32 bytes each) written to `out` and their count stored;
// EINVAL for no subscriptions or more than kMaxSubscriptions, an unknown tag or a clock that
// cannot be waited on; EFAULT.
// Per-fd problems (EBADF, ENOTCAPABLE) are reported in that subscription's event.
// Suspends the process (never the thread) until a subscription completes.
constexpr u32 kMaxSubscriptions = 4096;

u32 poll_oneoff(HostContext& ctx, u32 in, u32 out, u32 nsubscriptions, u32 nevents_out) {
  auto memory = ctx.memory();
  if (!guest::writable<u32>(memory, nevents_out)) return guest::kFault;
  // A bound on one call's work (each subscription is a descriptor to watch): a million took
  // 0.7 s on the worker. No program polls this many at once; Linux's own default is 1024.
  if (nsubscriptions == 0 || nsubscriptions > kMaxSubscriptions) return to_guest(Errno::kInval);
  auto in_bytes = memory.try_bytes(in, std::uint64_t{nsubscriptions} * kSubscriptionSize);
  auto out_bytes = memory.try_bytes(out, std::uint64_t{nsubscriptions} * kEventSize);
  if (!in_bytes || !out_bytes) return guest::kFault;

  std::vector<Subscription> subscriptions;
  subscriptions.reserve(nsubscriptions);
  for (u32 i = 0; i < nsubscriptions; ++i) {
    auto record = in_bytes->subspan(std::size_t{i} * kSubscriptionSize).first<kSubscriptionSize>();
    auto subscription = decode_subscription(record);
    if (!subscription.ok()) return to_guest(subscription.error());
    subscriptions.push_back(*subscription);
  }

  // Each call is a preemption point: one that finds its answer at once (timeouts of 0) may
  // still cost a millisecond for 4,096 subscriptions, and a guest loop of them would run
  // thousands before its own checks preempt it.
  if (ctx.blocking != nullptr) ctx.blocking->preempt_point();
  // `out_bytes` stays valid across the wait: only this process could grow its memory, and it
  // is suspended inside this call.
  auto events = wasi::poll_oneoff(guest::wasi_of(ctx), ctx.blocking, subscriptions);
  if (!events.ok()) return to_guest(events.error());
  for (std::size_t i = 0; i < events->size(); ++i) {
    encode_event((*events)[i], out_bytes->subspan(i * kEventSize).first<kEventSize>());
  }
  return guest::put<u32>(memory, nevents_out, static_cast<u32>(events->size()));
}

}  // namespace thunk

}  // namespace

}  // namespace lunatic::wasi
