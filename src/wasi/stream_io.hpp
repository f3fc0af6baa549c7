// Reading and writing host descriptors without blocking the worker thread.
//
// Regular files, directories and block devices are read and written directly (they are always
// "ready"; the kernel never makes them wait for a peer). Everything else - pipes, terminals,
// sockets, character devices - is tried without waiting (RWF_NOWAIT, or O_NONBLOCK on a
// description we own); when that would block, the calling process is suspended through
// runtime::Blocking::wait_fds until the descriptor is ready, then the call is retried. A guest
// descriptor with the NONBLOCK fdflag gets EAGAIN instead of being suspended.
//
// Thread: the thread running the calling process.
#pragma once

#include <sys/uio.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "wasi/fd_table.hpp"
#include "wasi/wasi_types.hpp"

namespace lunatic::runtime {
class Blocking;
}

namespace lunatic::wasi {

// Guest buffers, already bounds-checked and turned into host spans by a thunk.
using IoVecs = std::span<const std::span<std::uint8_t>>;

// The most one read or write moves: a shorter transfer is always allowed, and a bounded one
// keeps a single call (a 4 GiB read of a file) from holding its worker for long.
inline constexpr std::uint64_t kMaxTransferBytes = 16u << 20;

// Returns: host iovecs for `buffers`, skipping empty ones, at most IOV_MAX of them and at most
// kMaxTransferBytes in all.
std::vector<struct iovec> host_iovecs(IoVecs buffers);

// Suspends the calling process until `fd` is readable (or writable), or hung up.
// Traps: kHostError when `blocking` is null (the process has no scheduler to wait on).
void wait_ready(runtime::Blocking* blocking, int fd, bool write);

// Returns: true when `fd` is readable (or writable) right now; never waits.
bool ready_now(int fd, bool write);

// Reads into `buffers` at the descriptor's current position.
// Returns: bytes read (0 at end of file), or the errno.
Result<std::size_t> stream_read(FdEntry& entry, runtime::Blocking* blocking, IoVecs buffers);

// Writes `buffers` at the current position (or the end, with APPEND).
// Returns: bytes written, or the errno. With `guard_sigpipe`, a write to a pipe without a
// reader returns EPIPE instead of raising SIGPIPE in the runtime.
Result<std::size_t> stream_write(FdEntry& entry, runtime::Blocking* blocking, IoVecs buffers,
                                 bool guard_sigpipe);

}  // namespace lunatic::wasi
