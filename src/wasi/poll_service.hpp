// poll_oneoff: waits for clocks and descriptors by suspending the calling process.
//
// Clock subscriptions (REALTIME or MONOTONIC, relative or ABSTIME) become deadlines on
// runtime::Clock; fd_read/fd_write subscriptions on pipes, terminals and sockets become
// runtime::Blocking::wait_fds interests. Regular files, directories and block devices are
// always ready. An fd that is not open completes at once with EBADF in its event (wasi-libc's
// poll() turns that into POLLNVAL). The thread is never blocked.
// Thread: the thread running the owning process.
#pragma once

#include <span>
#include <vector>

#include "wasi/wasi_context.hpp"
#include "wasi/wasi_types.hpp"

namespace lunatic::runtime {
class Blocking;
}

namespace lunatic::wasi {

// Returns: the events that completed (at least one, at most one per subscription, in
// subscription order); EINVAL for no subscriptions or a clock that cannot be waited on
// (the CPU-time clocks, unknown ids).
// Traps: kHostError when it must wait and `blocking` is null.
Result<std::vector<Event>> poll_oneoff(WasiContext& context, runtime::Blocking* blocking,
                                       std::span<const Subscription> subscriptions);

}  // namespace lunatic::wasi
