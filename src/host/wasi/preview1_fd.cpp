// wasi_snapshot_preview1: operations on file descriptors.
//
// Every function returns a WASI errno (0 on success) and never traps for a bad guest pointer
// (that is EFAULT); out-pointers are checked before any work is done, so a failed store never
// loses a result. Each traps with kHostError only when the process has no WasiContext, or
// when a read or write must wait and the process has no scheduler (HostContext::blocking).
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "host/wasi/preview1_guest.hpp"
#include "host/wasi/preview1_parts.hpp"
#include "wasi/fd_service.hpp"

namespace lunatic::wasi {

namespace {

using host::HostContext;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

namespace thunk {
u32 fd_advise(HostContext& ctx, u32 fd, u64 offset, u64 len, u32 advice);
u32 fd_allocate(HostContext& ctx, u32 fd, u64 offset, u64 len);
u32 fd_close(HostContext& ctx, u32 fd);
u32 fd_datasync(HostContext& ctx, u32 fd);
u32 fd_fdstat_get(HostContext& ctx, u32 fd, u32 stat_out);
u32 fd_fdstat_set_flags(HostContext& ctx, u32 fd, u32 flags);
u32 fd_fdstat_set_rights(HostContext& ctx, u32 fd, u64 base, u64 inheriting);
u32 fd_filestat_get(HostContext& ctx, u32 fd, u32 stat_out);
u32 fd_filestat_set_size(HostContext& ctx, u32 fd, u64 size);
u32 fd_filestat_set_times(HostContext& ctx, u32 fd, u64 atim, u64 mtim, u32 fst_flags);
u32 fd_pread(HostContext& ctx, u32 fd, u32 iovs, u32 iovs_len, u64 offset, u32 nread_out);
u32 fd_prestat_get(HostContext& ctx, u32 fd, u32 prestat_out);
u32 fd_prestat_dir_name(HostContext& ctx, u32 fd, u32 path, u32 path_len);
u32 fd_pwrite(HostContext& ctx, u32 fd, u32 iovs, u32 iovs_len, u64 offset, u32 nwritten_out);
u32 fd_read(HostContext& ctx, u32 fd, u32 iovs, u32 iovs_len, u32 nread_out);
u32 fd_readdir(HostContext& ctx, u32 fd, u32 buf, u32 buf_len, u64 cookie, u32 bufused_out);
u32 fd_renumber(HostContext& ctx, u32 fd, u32 to);
u32 fd_seek(HostContext& ctx, u32 fd, u64 offset, u32 whence, u32 newoffset_out);
u32 fd_sync(HostContext& ctx, u32 fd);
u32 fd_tell(HostContext& ctx, u32 fd, u32 offset_out);
u32 fd_write(HostContext& ctx, u32 fd, u32 iovs, u32 iovs_len, u32 nwritten_out);
}  // namespace thunk

}  // namespace

std::vector<engine::ImportFunction> preview1_fd_functions() {
  using host::host_function;
  constexpr auto m = kPreview1Module;
  return {
      host_function<&thunk::fd_advise, m, "fd_advise">(),          // (i32 i64 i64 i32) -> (i32)
      host_function<&thunk::fd_allocate, m, "fd_allocate">(),      // (i32 i64 i64) -> (i32)
      host_function<&thunk::fd_close, m, "fd_close">(),            // (i32) -> (i32)
      host_function<&thunk::fd_datasync, m, "fd_datasync">(),      // (i32) -> (i32)
      host_function<&thunk::fd_fdstat_get, m, "fd_fdstat_get">(),  // (i32 i32) -> (i32)
      host_function<&thunk::fd_fdstat_set_flags, m, "fd_fdstat_set_flags">(),  // (i32 i32) -> (i32)
      host_function<&thunk::fd_fdstat_set_rights, m,
                    "fd_fdstat_set_rights">(),                         // (i32 i64 i64) -> (i32)
      host_function<&thunk::fd_filestat_get, m, "fd_filestat_get">(),  // (i32 i32) -> (i32)
      host_function<&thunk::fd_filestat_set_size, m,
                    "fd_filestat_set_size">(),  // (i32 i64) -> (i32)
      host_function<&thunk::fd_filestat_set_times, m,
                    "fd_filestat_set_times">(),          // (i32 i64 i64 i32) -> (i32)
      host_function<&thunk::fd_pread, m, "fd_pread">(),  // (i32 i32 i32 i64 i32) -> (i32)
      host_function<&thunk::fd_prestat_get, m, "fd_prestat_get">(),  // (i32 i32) -> (i32)
      host_function<&thunk::fd_prestat_dir_name, m,
                    "fd_prestat_dir_name">(),                  // (i32 i32 i32) -> (i32)
      host_function<&thunk::fd_pwrite, m, "fd_pwrite">(),      // (i32 i32 i32 i64 i32) -> (i32)
      host_function<&thunk::fd_read, m, "fd_read">(),          // (i32 i32 i32 i32) -> (i32)
      host_function<&thunk::fd_readdir, m, "fd_readdir">(),    // (i32 i32 i32 i64 i32) -> (i32)
      host_function<&thunk::fd_renumber, m, "fd_renumber">(),  // (i32 i32) -> (i32)
      host_function<&thunk::fd_seek, m, "fd_seek">(),          // (i32 i64 i32 i32) -> (i32)
      host_function<&thunk::fd_sync, m, "fd_sync">(),          // (i32) -> (i32)
      host_function<&thunk::fd_tell, m, "fd_tell">(),          // (i32 i32) -> (i32)
      host_function<&thunk::fd_write, m, "fd_write">(),        // (i32 i32 i32 i32) -> (i32)
  };
}

namespace {

// Stores a size result. Returns: success, or the service's errno.
u32 finish_size(const engine::GuestMemory& memory, Result<std::size_t> n, u32 out) {
  if (!n.ok()) return to_guest(n.error());
  return guest::put<u32>(memory, out, static_cast<u32>(*n));
}

// The same for a transfer, which counts against the caller's time slice.
u32 finish_transfer(HostContext& ctx, const engine::GuestMemory& memory, Result<std::size_t> n,
                    u32 out) {
  if (n.ok()) runtime::charge_transfer(ctx.blocking, *n);
  return finish_size(memory, std::move(n), out);
}

// Whether the guest, which found no preopened directory, reports a path lookup that failed for
// want of one: wasi-libc's and Rust's text for ENOTCAPABLE, on its stdout or stderr.
void note_capability_report(HostContext& ctx, IoVecs buffers) {
  static constexpr std::string_view kText = "Capabilities insufficient";
  for (const auto& buffer : buffers) {
    const std::string_view text(reinterpret_cast<const char*>(buffer.data()), buffer.size());
    if (text.find(kText) != std::string_view::npos) ctx.reported_no_capability = true;
  }
}

namespace thunk {

// fd_advise(fd, offset: filesize, len: filesize, advice) -> errno
// Returns: success; EINVAL for unknown advice; EBADF; ENOTCAPABLE.
u32 fd_advise(HostContext& ctx, u32 fd, u64 offset, u64 len, u32 advice) {
  return to_guest(wasi::fd_advise(guest::wasi_of(ctx), fd, offset, len, advice));
}

// fd_allocate(fd, offset: filesize, len: filesize) -> errno
// Returns: success once the range is allocated; EINVAL; EFBIG; EBADF; ENOTCAPABLE.
u32 fd_allocate(HostContext& ctx, u32 fd, u64 offset, u64 len) {
  return to_guest(wasi::fd_allocate(guest::wasi_of(ctx), fd, offset, len));
}

// fd_close(fd) -> errno
// Returns: success; EBADF if not open.
u32 fd_close(HostContext& ctx, u32 fd) { return to_guest(wasi::fd_close(guest::wasi_of(ctx), fd)); }

// fd_datasync(fd) -> errno
// Returns: success once data is on disk; EINVAL on pipes; EBADF; ENOTCAPABLE.
u32 fd_datasync(HostContext& ctx, u32 fd) {
  return to_guest(wasi::fd_datasync(guest::wasi_of(ctx), fd));
}

// fd_fdstat_get(fd) -> (errno, fdstat)
// Returns: success with the 24-byte fdstat stored; EBADF; EFAULT.
u32 fd_fdstat_get(HostContext& ctx, u32 fd, u32 stat_out) {
  auto out = ctx.memory().try_bytes(stat_out, kFdstatSize);
  if (!out) return guest::kFault;
  auto stat = wasi::fd_fdstat_get(guest::wasi_of(ctx), fd);
  if (!stat.ok()) return to_guest(stat.error());
  encode_fdstat(*stat, out->first<kFdstatSize>());
  return guest::kSuccess;
}

// fd_fdstat_set_flags(fd, flags: fdflags) -> errno
// Returns: success; EINVAL for unknown bits; ENOTSUP for sync flags; EBADF; ENOTCAPABLE.
u32 fd_fdstat_set_flags(HostContext& ctx, u32 fd, u32 flags) {
  return to_guest(wasi::fd_fdstat_set_flags(guest::wasi_of(ctx), fd, flags));
}

// fd_fdstat_set_rights(fd, base: rights, inheriting: rights) -> errno
// Returns: success; ENOTCAPABLE when adding rights; EBADF.
u32 fd_fdstat_set_rights(HostContext& ctx, u32 fd, u64 base, u64 inheriting) {
  return to_guest(wasi::fd_fdstat_set_rights(guest::wasi_of(ctx), fd, base, inheriting));
}

// fd_filestat_get(fd) -> (errno, filestat)
// Returns: success with the 64-byte filestat stored; EBADF; ENOTCAPABLE; EFAULT.
u32 fd_filestat_get(HostContext& ctx, u32 fd, u32 stat_out) {
  auto out = ctx.memory().try_bytes(stat_out, kFilestatSize);
  if (!out) return guest::kFault;
  auto stat = wasi::fd_filestat_get(guest::wasi_of(ctx), fd);
  if (!stat.ok()) return to_guest(stat.error());
  encode_filestat(*stat, out->first<kFilestatSize>());
  return guest::kSuccess;
}

// fd_filestat_set_size(fd, size: filesize) -> errno
// Returns: success; EINVAL; EBADF; ENOTCAPABLE.
u32 fd_filestat_set_size(HostContext& ctx, u32 fd, u64 size) {
  return to_guest(wasi::fd_filestat_set_size(guest::wasi_of(ctx), fd, size));
}

// fd_filestat_set_times(fd, atim: timestamp, mtim: timestamp, fst_flags) -> errno
// Returns: success; EINVAL for contradictory flags; EBADF; ENOTCAPABLE.
u32 fd_filestat_set_times(HostContext& ctx, u32 fd, u64 atim, u64 mtim, u32 fst_flags) {
  return to_guest(wasi::fd_filestat_set_times(guest::wasi_of(ctx), fd, atim, mtim, fst_flags));
}

// fd_pread(fd, iovs: iovec_array, offset: filesize) -> (errno, size)
// Returns: success with bytes read stored; ESPIPE; EBADF; ENOTCAPABLE; EFAULT.
u32 fd_pread(HostContext& ctx, u32 fd, u32 iovs, u32 iovs_len, u64 offset, u32 nread_out) {
  auto memory = ctx.memory();
  if (!guest::writable<u32>(memory, nread_out)) return guest::kFault;
  auto buffers = guest::read_iovecs(memory, iovs, iovs_len);
  if (!buffers.ok()) return to_guest(buffers.error());
  return finish_transfer(ctx, memory, wasi::fd_pread(guest::wasi_of(ctx), fd, *buffers, offset),
                         nread_out);
}

// fd_prestat_get(fd) -> (errno, prestat)
// Returns: success with the 8-byte prestat of a preopened directory; EBADF for any other fd
// (wasi-libc stops scanning for preopens there); EFAULT.
u32 fd_prestat_get(HostContext& ctx, u32 fd, u32 prestat_out) {
  auto out = ctx.memory().try_bytes(prestat_out, kPrestatSize);
  if (!out) return guest::kFault;
  auto name = wasi::fd_prestat_name(guest::wasi_of(ctx), fd);
  if (!name.ok()) {
    if (fd == 3 && name.error() == Errno::kBadf) ctx.found_no_preopens = true;
    return to_guest(name.error());
  }
  encode_prestat_dir(static_cast<u32>((*name)->size()), out->first<kPrestatSize>());
  return guest::kSuccess;
}

// fd_prestat_dir_name(fd, path: *u8, path_len: size) -> errno
// Returns: success with the name copied (no NUL); ENAMETOOLONG if path_len is too small;
// EBADF for a non-preopen; EFAULT.
u32 fd_prestat_dir_name(HostContext& ctx, u32 fd, u32 path, u32 path_len) {
  auto name = wasi::fd_prestat_name(guest::wasi_of(ctx), fd);
  if (!name.ok()) return to_guest(name.error());
  const std::string& text = **name;
  if (path_len < text.size()) return to_guest(Errno::kNameTooLong);
  auto out = ctx.memory().try_bytes(path, text.size());
  if (!out) return guest::kFault;
  // SAFETY: `out` was checked to hold exactly text.size() bytes of guest memory.
  std::copy(text.begin(), text.end(), out->begin());
  return guest::kSuccess;
}

// fd_pwrite(fd, iovs: ciovec_array, offset: filesize) -> (errno, size)
// Returns: success with bytes written stored; ESPIPE; EBADF; ENOTCAPABLE; EFAULT.
u32 fd_pwrite(HostContext& ctx, u32 fd, u32 iovs, u32 iovs_len, u64 offset, u32 nwritten_out) {
  auto memory = ctx.memory();
  if (!guest::writable<u32>(memory, nwritten_out)) return guest::kFault;
  auto buffers = guest::read_iovecs(memory, iovs, iovs_len);
  if (!buffers.ok()) return to_guest(buffers.error());
  return finish_transfer(ctx, memory, wasi::fd_pwrite(guest::wasi_of(ctx), fd, *buffers, offset),
                         nwritten_out);
}

// fd_read(fd, iovs: iovec_array) -> (errno, size)
// Returns: success with bytes read stored (0 at end of file); EAGAIN for a NONBLOCK fd with
// nothing to read; EBADF; ENOTCAPABLE; EFAULT. Suspends the process until input arrives.
u32 fd_read(HostContext& ctx, u32 fd, u32 iovs, u32 iovs_len, u32 nread_out) {
  auto memory = ctx.memory();
  if (!guest::writable<u32>(memory, nread_out)) return guest::kFault;
  auto buffers = guest::read_iovecs(memory, iovs, iovs_len);
  if (!buffers.ok()) return to_guest(buffers.error());
  // The spans stay valid across the wait: only this process could grow its memory, and it is
  // suspended inside this call.
  auto n = wasi::fd_read(guest::wasi_of(ctx), ctx.blocking, fd, *buffers);
  return finish_transfer(ctx, memory, std::move(n), nread_out);
}

// fd_readdir(fd, buf: *u8, buf_len: size, cookie: dircookie) -> (errno, size)
// Returns: success with the bytes of dirents stored (buf_len means "maybe more"); ENOTDIR;
// EBADF; ENOTCAPABLE; EFAULT.
u32 fd_readdir(HostContext& ctx, u32 fd, u32 buf, u32 buf_len, u64 cookie, u32 bufused_out) {
  auto memory = ctx.memory();
  if (!guest::writable<u32>(memory, bufused_out)) return guest::kFault;
  auto out = memory.try_bytes(buf, buf_len);
  if (!out) return guest::kFault;
  return finish_size(memory, wasi::fd_readdir(guest::wasi_of(ctx), fd, *out, cookie), bufused_out);
}

// fd_renumber(fd, to: fd) -> errno
// Returns: success (`to` now names what `fd` did, and `fd` is free); EBADF unless both open.
u32 fd_renumber(HostContext& ctx, u32 fd, u32 to) {
  return to_guest(wasi::fd_renumber(guest::wasi_of(ctx), fd, to));
}

// fd_seek(fd, offset: filedelta, whence) -> (errno, filesize)
// Returns: success with the new offset stored; EINVAL; ESPIPE; EBADF; ENOTCAPABLE; EFAULT.
u32 fd_seek(HostContext& ctx, u32 fd, u64 offset, u32 whence, u32 newoffset_out) {
  auto memory = ctx.memory();
  if (!guest::writable<u64>(memory, newoffset_out)) return guest::kFault;
  auto position = wasi::fd_seek(guest::wasi_of(ctx), fd, static_cast<std::int64_t>(offset), whence);
  if (!position.ok()) return to_guest(position.error());
  return guest::put<u64>(memory, newoffset_out, *position);
}

// fd_sync(fd) -> errno
// Returns: success once data and metadata are on disk; EBADF; ENOTCAPABLE.
u32 fd_sync(HostContext& ctx, u32 fd) { return to_guest(wasi::fd_sync(guest::wasi_of(ctx), fd)); }

// fd_tell(fd) -> (errno, filesize)
// Returns: success with the offset stored; ESPIPE; EBADF; ENOTCAPABLE; EFAULT.
u32 fd_tell(HostContext& ctx, u32 fd, u32 offset_out) {
  auto memory = ctx.memory();
  if (!guest::writable<u64>(memory, offset_out)) return guest::kFault;
  auto position = wasi::fd_tell(guest::wasi_of(ctx), fd);
  if (!position.ok()) return to_guest(position.error());
  return guest::put<u64>(memory, offset_out, *position);
}

// fd_write(fd, iovs: ciovec_array) -> (errno, size)
// Returns: success with bytes written stored; EPIPE; EAGAIN for a full NONBLOCK pipe; EBADF;
// ENOTCAPABLE; EFAULT. Suspends the process while a pipe or socket is full.
u32 fd_write(HostContext& ctx, u32 fd, u32 iovs, u32 iovs_len, u32 nwritten_out) {
  auto memory = ctx.memory();
  if (!guest::writable<u32>(memory, nwritten_out)) return guest::kFault;
  auto buffers = guest::read_iovecs(memory, iovs, iovs_len);
  if (!buffers.ok()) return to_guest(buffers.error());
  if (ctx.found_no_preopens && (fd == 1 || fd == 2)) [[unlikely]]
    note_capability_report(ctx, *buffers);
  auto n = wasi::fd_write(guest::wasi_of(ctx), ctx.blocking, fd, *buffers);
  return finish_transfer(ctx, memory, std::move(n), nwritten_out);
}

}  // namespace thunk

}  // namespace

}  // namespace lunatic::wasi
