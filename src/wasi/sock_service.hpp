// sock_* of wasi_snapshot_preview1, for sockets the process inherited as a standard stream
// (inetd style) or accepted from one. WASI preview1 cannot create, bind or connect sockets;
// Lunatic guests use lunatic::networking for that. On a descriptor that is open but not a
// socket these return ENOTSOCK; on one that is not open, EBADF.
// Thread: the thread running the owning process.
#pragma once

#include <cstddef>
#include <cstdint>

#include "wasi/stream_io.hpp"
#include "wasi/wasi_context.hpp"
#include "wasi/wasi_types.hpp"

namespace lunatic::runtime {
class Blocking;
}

namespace lunatic::wasi {

// Accepts a connection on a listening socket. `flags` are the new descriptor's fdflags (only
// NONBLOCK is allowed); the listener's own NONBLOCK flag decides whether this waits.
// Returns: the new guest fd; EAGAIN for a NONBLOCK listener with nobody waiting; EINVAL for
// other flags. Suspends the process (not the thread) until a peer connects.
Result<std::uint32_t> sock_accept(WasiContext& context, runtime::Blocking* blocking,
                                  std::uint32_t fd, std::uint32_t flags);

struct Received {
  std::size_t bytes = 0;
  std::uint16_t roflags = 0;  // RECV_DATA_TRUNCATED when a datagram did not fit
};

// Receives into `buffers`; riflags PEEK and WAITALL as recv(2).
// Returns: what was received (0 bytes: the peer closed); EINVAL for unknown riflags.
Result<Received> sock_recv(WasiContext& context, runtime::Blocking* blocking, std::uint32_t fd,
                           IoVecs buffers, std::uint32_t riflags);

// Sends `buffers`; `siflags` must be 0 (WASI defines none).
// Returns: bytes sent; EPIPE if the peer is gone (never SIGPIPE).
Result<std::size_t> sock_send(WasiContext& context, runtime::Blocking* blocking, std::uint32_t fd,
                              IoVecs buffers, std::uint32_t siflags);

// Returns: success; EINVAL unless `how` is RD, WR or both; ENOTCONN if not connected.
Errno sock_shutdown(WasiContext& context, std::uint32_t fd, std::uint32_t how);

}  // namespace lunatic::wasi
