// wasi_snapshot_preview1: operations on paths, confined beneath a directory fd.
//
// Every function returns a WASI errno (0 on success) and never traps for a bad guest pointer
// (that is EFAULT). Paths are copied out of guest memory here; the sandbox (sandbox.hpp)
// refuses absolute paths, ".." escapes and symlinks leading out with ENOTCAPABLE. Each traps
// with kHostError only when the process has no WasiContext.
#include <cstdint>
#include <string>
#include <vector>

#include "host/wasi/preview1_guest.hpp"
#include "host/wasi/preview1_parts.hpp"
#include "wasi/path_service.hpp"

namespace lunatic::wasi {

namespace {

using host::HostContext;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

namespace thunk {
u32 path_create_directory(HostContext& ctx, u32 fd, u32 path, u32 path_len);
u32 path_filestat_get(HostContext& ctx, u32 fd, u32 flags, u32 path, u32 path_len, u32 stat_out);
u32 path_filestat_set_times(HostContext& ctx, u32 fd, u32 flags, u32 path, u32 path_len, u64 atim,
                            u64 mtim, u32 fst_flags);
u32 path_link(HostContext& ctx, u32 old_fd, u32 old_flags, u32 old_path, u32 old_path_len,
              u32 new_fd, u32 new_path, u32 new_path_len);
u32 path_open(HostContext& ctx, u32 fd, u32 dirflags, u32 path, u32 path_len, u32 oflags,
              u64 rights_base, u64 rights_inheriting, u32 fdflags, u32 fd_out);
u32 path_readlink(HostContext& ctx, u32 fd, u32 path, u32 path_len, u32 buf, u32 buf_len,
                  u32 bufused_out);
u32 path_remove_directory(HostContext& ctx, u32 fd, u32 path, u32 path_len);
u32 path_rename(HostContext& ctx, u32 fd, u32 old_path, u32 old_path_len, u32 new_fd, u32 new_path,
                u32 new_path_len);
u32 path_symlink(HostContext& ctx, u32 old_path, u32 old_path_len, u32 fd, u32 new_path,
                 u32 new_path_len);
u32 path_unlink_file(HostContext& ctx, u32 fd, u32 path, u32 path_len);
}  // namespace thunk

}  // namespace

std::vector<engine::ImportFunction> preview1_path_functions() {
  using host::host_function;
  constexpr auto m = kPreview1Module;
  return {
      host_function<&thunk::path_create_directory, m,
                    "path_create_directory">(),  // (i32 i32 i32) -> (i32)
      host_function<&thunk::path_filestat_get, m,
                    "path_filestat_get">(),  // (i32 i32 i32 i32 i32) -> (i32)
      host_function<&thunk::path_filestat_set_times, m,
                    "path_filestat_set_times">(),          // (i32 i32 i32 i32 i64 i64 i32) -> (i32)
      host_function<&thunk::path_link, m, "path_link">(),  // (i32 i32 i32 i32 i32 i32 i32) -> (i32)
      host_function<&thunk::path_open, m,
                    "path_open">(),  // (i32 i32 i32 i32 i32 i64 i64 i32 i32) -> (i32)
      host_function<&thunk::path_readlink, m,
                    "path_readlink">(),  // (i32 i32 i32 i32 i32 i32) -> (i32)
      host_function<&thunk::path_remove_directory, m,
                    "path_remove_directory">(),                // (i32 i32 i32) -> (i32)
      host_function<&thunk::path_rename, m, "path_rename">(),  // (i32 i32 i32 i32 i32 i32) -> (i32)
      host_function<&thunk::path_symlink, m, "path_symlink">(),  // (i32 i32 i32 i32 i32) -> (i32)
      host_function<&thunk::path_unlink_file, m, "path_unlink_file">(),  // (i32 i32 i32) -> (i32)
  };
}

namespace {

namespace thunk {

// path_create_directory(fd, path: string) -> errno
// Returns: success; EEXIST; ENOENT; ENOTCAPABLE for an escape; ENOTDIR; EBADF; EFAULT.
u32 path_create_directory(HostContext& ctx, u32 fd, u32 path, u32 path_len) {
  auto text = guest::read_string(ctx.memory(), path, path_len);
  if (!text.ok()) return to_guest(text.error());
  return to_guest(wasi::path_create_directory(guest::wasi_of(ctx), fd, *text));
}

// path_filestat_get(fd, flags: lookupflags, path: string) -> (errno, filestat)
// Returns: success with the 64-byte filestat stored (of the symlink itself unless
// SYMLINK_FOLLOW); ENOENT; ENOTCAPABLE; ENOTDIR; EBADF; EFAULT.
u32 path_filestat_get(HostContext& ctx, u32 fd, u32 flags, u32 path, u32 path_len, u32 stat_out) {
  auto memory = ctx.memory();
  auto out = memory.try_bytes(stat_out, kFilestatSize);
  if (!out) return guest::kFault;
  auto text = guest::read_string(memory, path, path_len);
  if (!text.ok()) return to_guest(text.error());
  auto stat = wasi::path_filestat_get(guest::wasi_of(ctx), fd, flags, *text);
  if (!stat.ok()) return to_guest(stat.error());
  encode_filestat(*stat, out->first<kFilestatSize>());
  return guest::kSuccess;
}

// path_filestat_set_times(fd, flags: lookupflags, path: string, atim, mtim, fst_flags) -> errno
// Returns: success; EINVAL for contradictory flags; ENOENT; ENOTCAPABLE; EBADF; EFAULT.
u32 path_filestat_set_times(HostContext& ctx, u32 fd, u32 flags, u32 path, u32 path_len, u64 atim,
                            u64 mtim, u32 fst_flags) {
  auto text = guest::read_string(ctx.memory(), path, path_len);
  if (!text.ok()) return to_guest(text.error());
  return to_guest(
      wasi::path_filestat_set_times(guest::wasi_of(ctx), fd, flags, *text, atim, mtim, fst_flags));
}

// path_link(old_fd, old_flags: lookupflags, old_path: string, new_fd, new_path: string) -> errno
// Returns: success; EEXIST; EPERM for directories; EXDEV; ENOTCAPABLE; EBADF; EFAULT.
u32 path_link(HostContext& ctx, u32 old_fd, u32 old_flags, u32 old_path, u32 old_path_len,
              u32 new_fd, u32 new_path, u32 new_path_len) {
  auto memory = ctx.memory();
  auto from = guest::read_string(memory, old_path, old_path_len);
  if (!from.ok()) return to_guest(from.error());
  auto to = guest::read_string(memory, new_path, new_path_len);
  if (!to.ok()) return to_guest(to.error());
  return to_guest(wasi::path_link(guest::wasi_of(ctx), old_fd, old_flags, *from, new_fd, *to));
}

// path_open(fd, dirflags: lookupflags, path: string, oflags, fs_rights_base: rights,
//           fs_rights_inheriting: rights, fdflags) -> (errno, fd)
// Returns: success with the new fd stored; EEXIST; ENOENT; EISDIR; ENOTDIR; ELOOP;
// ENOTCAPABLE; EINVAL for unknown flags; EMFILE; EBADF; EFAULT.
u32 path_open(HostContext& ctx, u32 fd, u32 dirflags, u32 path, u32 path_len, u32 oflags,
              u64 rights_base, u64 rights_inheriting, u32 fdflags, u32 fd_out) {
  auto memory = ctx.memory();
  if (!guest::writable<u32>(memory, fd_out)) return guest::kFault;
  auto text = guest::read_string(memory, path, path_len);
  if (!text.ok()) return to_guest(text.error());
  auto opened = wasi::path_open(guest::wasi_of(ctx), fd, dirflags, *text, oflags, rights_base,
                                rights_inheriting, fdflags);
  if (!opened.ok()) return to_guest(opened.error());
  return guest::put<u32>(memory, fd_out, *opened);
}

// path_readlink(fd, path: string, buf: *u8, buf_len: size) -> (errno, size)
// Returns: success with the length stored (the contents are cut to buf_len); EINVAL when not
// a symlink; ENOENT; ENOTCAPABLE; EBADF; EFAULT.
u32 path_readlink(HostContext& ctx, u32 fd, u32 path, u32 path_len, u32 buf, u32 buf_len,
                  u32 bufused_out) {
  auto memory = ctx.memory();
  if (!guest::writable<u32>(memory, bufused_out)) return guest::kFault;
  auto out = memory.try_bytes(buf, buf_len);
  if (!out) return guest::kFault;
  auto text = guest::read_string(memory, path, path_len);
  if (!text.ok()) return to_guest(text.error());
  auto n = wasi::path_readlink(guest::wasi_of(ctx), fd, *text, *out);
  if (!n.ok()) return to_guest(n.error());
  return guest::put<u32>(memory, bufused_out, static_cast<u32>(*n));
}

// path_remove_directory(fd, path: string) -> errno
// Returns: success; ENOTEMPTY; ENOTDIR; ENOENT; ENOTCAPABLE; EBADF; EFAULT.
u32 path_remove_directory(HostContext& ctx, u32 fd, u32 path, u32 path_len) {
  auto text = guest::read_string(ctx.memory(), path, path_len);
  if (!text.ok()) return to_guest(text.error());
  return to_guest(wasi::path_remove_directory(guest::wasi_of(ctx), fd, *text));
}

// path_rename(fd, old_path: string, new_fd, new_path: string) -> errno
// Returns: success; ENOENT; EXDEV; ENOTEMPTY; EISDIR; ENOTCAPABLE; EBADF; EFAULT.
u32 path_rename(HostContext& ctx, u32 fd, u32 old_path, u32 old_path_len, u32 new_fd, u32 new_path,
                u32 new_path_len) {
  auto memory = ctx.memory();
  auto from = guest::read_string(memory, old_path, old_path_len);
  if (!from.ok()) return to_guest(from.error());
  auto to = guest::read_string(memory, new_path, new_path_len);
  if (!to.ok()) return to_guest(to.error());
  return to_guest(wasi::path_rename(guest::wasi_of(ctx), fd, *from, new_fd, *to));
}

// path_symlink(old_path: string, fd, new_path: string) -> errno
// Returns: success; EEXIST; ENOTCAPABLE for an absolute or escaping target; EBADF; EFAULT.
u32 path_symlink(HostContext& ctx, u32 old_path, u32 old_path_len, u32 fd, u32 new_path,
                 u32 new_path_len) {
  auto memory = ctx.memory();
  auto target = guest::read_string(memory, old_path, old_path_len);
  if (!target.ok()) return to_guest(target.error());
  auto link = guest::read_string(memory, new_path, new_path_len);
  if (!link.ok()) return to_guest(link.error());
  return to_guest(wasi::path_symlink(guest::wasi_of(ctx), *target, fd, *link));
}

// path_unlink_file(fd, path: string) -> errno
// Returns: success; EISDIR; ENOENT; ENOTCAPABLE; EBADF; EFAULT.
u32 path_unlink_file(HostContext& ctx, u32 fd, u32 path, u32 path_len) {
  auto text = guest::read_string(ctx.memory(), path, path_len);
  if (!text.ok()) return to_guest(text.error());
  return to_guest(wasi::path_unlink_file(guest::wasi_of(ctx), fd, *text));
}

}  // namespace thunk

}  // namespace

}  // namespace lunatic::wasi
