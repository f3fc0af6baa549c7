// wasi_snapshot_preview1: process exit, signals, yielding, and sockets.
//
// Every function but proc_exit returns a WASI errno (0 on success) and never traps for a bad
// guest pointer (that is EFAULT). sock_* work on sockets the process inherited as standard
// streams (or accepted from one); see sock_service.hpp. Each traps with kHostError only when
// the process has no WasiContext, or must wait and has no scheduler.
#include <cstdint>
#include <vector>

#include "engine/execution/trap.hpp"
#include "host/wasi/preview1_guest.hpp"
#include "host/wasi/preview1_parts.hpp"
#include "runtime/blocking.hpp"
#include "wasi/sock_service.hpp"

namespace lunatic::wasi {

namespace {

using host::HostContext;
using u32 = std::uint32_t;

namespace thunk {
void proc_exit(HostContext& ctx, u32 code);
u32 proc_raise(HostContext& ctx, u32 signal);
u32 sched_yield(HostContext& ctx);
u32 sock_accept(HostContext& ctx, u32 fd, u32 flags, u32 fd_out);
u32 sock_recv(HostContext& ctx, u32 fd, u32 ri_data, u32 ri_data_len, u32 ri_flags,
              u32 ro_datalen_out, u32 ro_flags_out);
u32 sock_send(HostContext& ctx, u32 fd, u32 si_data, u32 si_data_len, u32 si_flags,
              u32 so_datalen_out);
u32 sock_shutdown(HostContext& ctx, u32 fd, u32 how);
}  // namespace thunk

}  // namespace

std::vector<engine::ImportFunction> preview1_proc_sock_functions() {
  using host::host_function;
  constexpr auto m = kPreview1Module;
  return {
      host_function<&thunk::proc_exit, m, "proc_exit">(),      // (i32) -> ()
      host_function<&thunk::proc_raise, m, "proc_raise">(),    // (i32) -> (i32)
      host_function<&thunk::sched_yield, m, "sched_yield">(),  // () -> (i32)
      host_function<&thunk::sock_accept, m, "sock_accept">(),  // (i32 i32 i32) -> (i32)
      host_function<&thunk::sock_recv, m, "sock_recv">(),      // (i32 i32 i32 i32 i32 i32) -> (i32)
      host_function<&thunk::sock_send, m, "sock_send">(),      // (i32 i32 i32 i32 i32) -> (i32)
      host_function<&thunk::sock_shutdown, m, "sock_shutdown">(),  // (i32 i32) -> (i32)
  };
}

namespace {

namespace thunk {

// proc_exit(rval: exitcode) -> never
// Ends the process with exit code `code`: unwinds the guest (engine::GuestExit), it never
// returns.
void proc_exit(HostContext& /*ctx*/, u32 code) { throw engine::GuestExit{code}; }

// proc_raise(sig: signal) -> errno
// Returns: ENOSYS always. Signals are not part of this runtime's process model (a Lunatic
// process ends by trap or exit, and is killed through lunatic::process).
u32 proc_raise(HostContext& /*ctx*/, u32 /*signal*/) { return to_guest(Errno::kNoSys); }

// sched_yield() -> errno
// Returns: success, after every other runnable process has run once.
u32 sched_yield(HostContext& ctx) {
  if (ctx.blocking != nullptr) ctx.blocking->yield_now();
  return guest::kSuccess;
}

// sock_accept(fd, flags: fdflags) -> (errno, fd)
// Returns: success with the new fd stored; EAGAIN for a NONBLOCK listener; ENOTSOCK; EBADF;
// EINVAL for flags other than NONBLOCK; EFAULT. Suspends the process until a peer connects.
u32 sock_accept(HostContext& ctx, u32 fd, u32 flags, u32 fd_out) {
  auto memory = ctx.memory();
  if (!guest::writable<u32>(memory, fd_out)) return guest::kFault;
  auto accepted = wasi::sock_accept(guest::wasi_of(ctx), ctx.blocking, fd, flags);
  if (!accepted.ok()) return to_guest(accepted.error());
  return guest::put<u32>(memory, fd_out, *accepted);
}

// sock_recv(fd, ri_data: iovec_array, ri_flags: riflags) -> (errno, size, roflags)
// Returns: success with the byte count and roflags (u16) stored; ENOTSOCK; EBADF; EINVAL;
// EFAULT. Suspends the process until data arrives.
u32 sock_recv(HostContext& ctx, u32 fd, u32 ri_data, u32 ri_data_len, u32 ri_flags,
              u32 ro_datalen_out, u32 ro_flags_out) {
  auto memory = ctx.memory();
  if (!guest::writable<u32>(memory, ro_datalen_out) ||
      !guest::writable<std::uint16_t>(memory, ro_flags_out)) {
    return guest::kFault;
  }
  auto buffers = guest::read_iovecs(memory, ri_data, ri_data_len);
  if (!buffers.ok()) return to_guest(buffers.error());
  auto received = wasi::sock_recv(guest::wasi_of(ctx), ctx.blocking, fd, *buffers, ri_flags);
  if (!received.ok()) return to_guest(received.error());
  guest::put<u32>(memory, ro_datalen_out, static_cast<u32>(received->bytes));
  return guest::put<std::uint16_t>(memory, ro_flags_out, received->roflags);
}

// sock_send(fd, si_data: ciovec_array, si_flags: siflags) -> (errno, size)
// Returns: success with the byte count stored; EPIPE; ENOTSOCK; EBADF; EINVAL; EFAULT.
// Suspends the process while the socket is full.
u32 sock_send(HostContext& ctx, u32 fd, u32 si_data, u32 si_data_len, u32 si_flags,
              u32 so_datalen_out) {
  auto memory = ctx.memory();
  if (!guest::writable<u32>(memory, so_datalen_out)) return guest::kFault;
  auto buffers = guest::read_iovecs(memory, si_data, si_data_len);
  if (!buffers.ok()) return to_guest(buffers.error());
  auto sent = wasi::sock_send(guest::wasi_of(ctx), ctx.blocking, fd, *buffers, si_flags);
  if (!sent.ok()) return to_guest(sent.error());
  return guest::put<u32>(memory, so_datalen_out, static_cast<u32>(*sent));
}

// sock_shutdown(fd, how: sdflags) -> errno
// Returns: success; EINVAL for a bad `how`; ENOTCONN; ENOTSOCK; EBADF.
u32 sock_shutdown(HostContext& ctx, u32 fd, u32 how) {
  return to_guest(wasi::sock_shutdown(guest::wasi_of(ctx), fd, how));
}

}  // namespace thunk

}  // namespace

}  // namespace lunatic::wasi
