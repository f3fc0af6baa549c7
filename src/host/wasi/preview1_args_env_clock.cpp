// wasi_snapshot_preview1: arguments, environment, clocks and randomness.
//
// Every function returns a WASI errno (0 on success) and never traps for a bad guest pointer
// (that is EFAULT). Each traps with kHostError only when the process has no WasiContext.
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "host/wasi/preview1_guest.hpp"
#include "host/wasi/preview1_parts.hpp"
#include "wasi/clock_service.hpp"

namespace lunatic::wasi {

namespace {

using host::HostContext;
using u32 = std::uint32_t;
using u64 = std::uint64_t;

namespace thunk {
u32 args_get(HostContext& ctx, u32 argv, u32 argv_buf);
u32 args_sizes_get(HostContext& ctx, u32 argc_out, u32 argv_buf_size_out);
u32 environ_get(HostContext& ctx, u32 environ, u32 environ_buf);
u32 environ_sizes_get(HostContext& ctx, u32 count_out, u32 buf_size_out);
u32 clock_res_get(HostContext& ctx, u32 clock_id, u32 resolution_out);
u32 clock_time_get(HostContext& ctx, u32 clock_id, u64 precision, u32 time_out);
u32 random_get(HostContext& ctx, u32 buf, u32 buf_len);
}  // namespace thunk

}  // namespace

std::vector<engine::ImportFunction> preview1_args_env_clock_functions() {
  using host::host_function;
  return {
      host_function<&thunk::args_get, kPreview1Module, "args_get">(),  // (i32 i32) -> (i32)
      host_function<&thunk::args_sizes_get, kPreview1Module,
                    "args_sizes_get">(),                                     // (i32 i32) -> (i32)
      host_function<&thunk::environ_get, kPreview1Module, "environ_get">(),  // (i32 i32) -> (i32)
      host_function<&thunk::environ_sizes_get, kPreview1Module,
                    "environ_sizes_get">(),  // (i32 i32) -> (i32)
      host_function<&thunk::clock_res_get, kPreview1Module,
                    "clock_res_get">(),  // (i32 i32) -> (i32)
      host_function<&thunk::clock_time_get, kPreview1Module,
                    "clock_time_get">(),                                   // (i32 i64 i32) -> (i32)
      host_function<&thunk::random_get, kPreview1Module, "random_get">(),  // (i32 i32) -> (i32)
  };
}

namespace {

// Returns: the bytes a list of strings needs as NUL-terminated C strings.
u64 list_bytes(const std::vector<std::string>& list) {
  u64 total = 0;
  for (const auto& s : list) total += s.size() + 1;
  return total;
}

// Writes `list` as the guest's argv/environ: pointers[i] = strings + offset of string i, and
// the strings, NUL-terminated, back to back at `strings`.
// Returns: success, EFAULT if either area is out of bounds, EOVERFLOW beyond 4 GiB.
u32 write_list(HostContext& ctx, const std::vector<std::string>& list, u32 pointers, u32 strings) {
  auto memory = ctx.memory();
  u64 total = list_bytes(list);
  auto table = memory.try_bytes(pointers, u64{list.size()} * 4);
  auto buffer = memory.try_bytes(strings, total);
  if (!table || !buffer) return guest::kFault;
  if (u64{strings} + total > UINT32_MAX + u64{1}) return to_guest(Errno::kOverflow);
  u64 offset = 0;
  for (std::size_t i = 0; i < list.size(); ++i) {
    layout::put<u32>(*table, i * 4, static_cast<u32>(strings + offset));
    // SAFETY: `buffer` was checked to hold `total` bytes, and offset + size + 1 <= total.
    std::memcpy(buffer->data() + offset, list[i].data(), list[i].size());
    buffer->data()[offset + list[i].size()] = 0;
    offset += list[i].size() + 1;
  }
  return guest::kSuccess;
}

// Returns: success after storing the count and byte size of `list`; EFAULT; EOVERFLOW.
u32 write_sizes(HostContext& ctx, const std::vector<std::string>& list, u32 count_out,
                u32 size_out) {
  auto memory = ctx.memory();
  if (!guest::writable<u32>(memory, count_out) || !guest::writable<u32>(memory, size_out)) {
    return guest::kFault;
  }
  u64 total = list_bytes(list);
  if (total > UINT32_MAX || list.size() > UINT32_MAX / 4) return to_guest(Errno::kOverflow);
  guest::put<u32>(memory, count_out, static_cast<u32>(list.size()));
  return guest::put<u32>(memory, size_out, static_cast<u32>(total));
}

namespace thunk {

// args_get(argv: **u8, argv_buf: *u8) -> errno
// Returns: success after writing the argument pointers and strings; EFAULT.
u32 args_get(HostContext& ctx, u32 argv, u32 argv_buf) {
  return write_list(ctx, guest::wasi_of(ctx).args(), argv, argv_buf);
}

// args_sizes_get() -> (errno, argc: size, argv_buf_size: size)
// Returns: success after storing the count and total size (with NULs); EFAULT.
u32 args_sizes_get(HostContext& ctx, u32 argc_out, u32 argv_buf_size_out) {
  return write_sizes(ctx, guest::wasi_of(ctx).args(), argc_out, argv_buf_size_out);
}

// environ_get(environ: **u8, environ_buf: *u8) -> errno
// Returns: success after writing the "KEY=VALUE" pointers and strings; EFAULT.
u32 environ_get(HostContext& ctx, u32 environ, u32 environ_buf) {
  return write_list(ctx, guest::wasi_of(ctx).env(), environ, environ_buf);
}

// environ_sizes_get() -> (errno, count: size, buf_size: size)
// Returns: success after storing the count and total size (with NULs); EFAULT.
u32 environ_sizes_get(HostContext& ctx, u32 count_out, u32 buf_size_out) {
  return write_sizes(ctx, guest::wasi_of(ctx).env(), count_out, buf_size_out);
}

// clock_res_get(id: clockid) -> (errno, timestamp)
// Returns: success with the resolution in ns; EINVAL for an unknown clock; EFAULT.
u32 clock_res_get(HostContext& ctx, u32 clock_id, u32 resolution_out) {
  auto memory = ctx.memory();
  if (!guest::writable<u64>(memory, resolution_out)) return guest::kFault;
  auto resolution = wasi::clock_res_get(clock_id);
  if (!resolution.ok()) return to_guest(resolution.error());
  return guest::put<u64>(memory, resolution_out, *resolution);
}

// clock_time_get(id: clockid, precision: timestamp) -> (errno, timestamp)
// Returns: success with the time in ns; EINVAL for an unknown clock; EFAULT.
u32 clock_time_get(HostContext& ctx, u32 clock_id, u64 precision, u32 time_out) {
  auto memory = ctx.memory();
  if (!guest::writable<u64>(memory, time_out)) return guest::kFault;
  auto time = wasi::clock_time_get(clock_id, precision);
  if (!time.ok()) return to_guest(time.error());
  return guest::put<u64>(memory, time_out, *time);
}

// random_get(buf: *u8, buf_len: size) -> errno
// Returns: success after filling the buffer with random bytes; EFAULT; EIO.
u32 random_get(HostContext& ctx, u32 buf, u32 buf_len) {
  auto bytes = ctx.memory().try_bytes(buf, buf_len);
  if (!bytes) return guest::kFault;
  // In pieces, each counted against the time slice: the buffer must be filled whole, and up to
  // 4 GiB of it would hold the worker for seconds. The span stays valid while this process is
  // suspended between pieces: only it could grow its memory.
  constexpr std::size_t kPiece = 1u << 20;
  for (std::size_t done = 0; done < bytes->size(); done += kPiece) {
    const auto piece = bytes->subspan(done, std::min(kPiece, bytes->size() - done));
    if (const Errno error = wasi::random_get(piece); error != Errno::kSuccess)
      return to_guest(error);
    runtime::charge_transfer(ctx.blocking, piece.size());
  }
  return guest::kSuccess;
}

}  // namespace thunk

}  // namespace

}  // namespace lunatic::wasi
