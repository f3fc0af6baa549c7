// The fd_* operations of wasi_snapshot_preview1, on host descriptors.
//
// Each function takes the process's WasiContext, a guest fd and plain values or host spans
// (never guest offsets), and returns a WASI errno or a value. Lookups check that the fd is
// open (EBADF) and holds the rights the operation needs (ENOTCAPABLE).
// Thread: the thread running the owning process.
#pragma once

#include <time.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "wasi/fd_table.hpp"
#include "wasi/stream_io.hpp"
#include "wasi/wasi_context.hpp"
#include "wasi/wasi_types.hpp"

namespace lunatic::runtime {
class Blocking;
}

namespace lunatic::wasi {

// Returns: the entry of an open `fd` holding every right in `required`; EBADF or ENOTCAPABLE.
Result<FdEntry*> lookup_fd(WasiContext& context, std::uint32_t fd, Rights required);

// Returns: like lookup_fd, but ENOTDIR (checked before rights) unless it is a directory.
Result<FdEntry*> lookup_dir(WasiContext& context, std::uint32_t fd, Rights required);

// For operations on a byte stream (read, write, seek, size, ...).
// Returns: the entry; EBADF when `fd` is not open or is a directory, or when it lacks FD_READ
// or FD_WRITE that `required` asks for (a descriptor opened without read or write access, as
// POSIX and wasmtime report it); ENOTCAPABLE for any other missing right.
Result<FdEntry*> lookup_file(WasiContext& context, std::uint32_t fd, Rights required);

// Returns: the two timespecs for utimensat/futimens from WASI timestamps and fstflags
// (UTIME_NOW / UTIME_OMIT where asked); EINVAL for unknown bits or both X and X_NOW.
Result<std::array<struct timespec, 2>> utimens_times(std::uint64_t atim, std::uint64_t mtim,
                                                     std::uint32_t fst_flags);

// Returns: success, or EINVAL for unknown advice or offsets beyond i64.
Errno fd_advise(WasiContext& context, std::uint32_t fd, std::uint64_t offset, std::uint64_t len,
                std::uint32_t advice);
// Returns: success once [offset, offset+len) is allocated; EINVAL for len 0 or offsets beyond
// i64, EFBIG if the end overflows.
Errno fd_allocate(WasiContext& context, std::uint32_t fd, std::uint64_t offset, std::uint64_t len);
// Returns: success, EBADF, or EIO if the host close failed (the fd is freed in any case).
Errno fd_close(WasiContext& context, std::uint32_t fd);
// Returns: success once the file's data is on disk.
Errno fd_datasync(WasiContext& context, std::uint32_t fd);
// Returns: success once the file's data and metadata are on disk.
Errno fd_sync(WasiContext& context, std::uint32_t fd);
// Returns: the fd's filetype, guest flags and rights. Needs no right.
Result<Fdstat> fd_fdstat_get(WasiContext& context, std::uint32_t fd);
// Sets APPEND and NONBLOCK. Returns: success; EINVAL for unknown bits; ENOTSUP for a change of
// DSYNC/RSYNC/SYNC (Linux cannot change them) or of APPEND on a borrowed standard stream.
Errno fd_fdstat_set_flags(WasiContext& context, std::uint32_t fd, std::uint32_t flags);
// Returns: success; ENOTCAPABLE if asked for a right the fd does not hold (rights only shrink).
Errno fd_fdstat_set_rights(WasiContext& context, std::uint32_t fd, Rights base, Rights inheriting);
// Returns: the host fstat of the fd.
Result<Filestat> fd_filestat_get(WasiContext& context, std::uint32_t fd);
// Returns: success after ftruncate; EINVAL for sizes beyond i64.
Errno fd_filestat_set_size(WasiContext& context, std::uint32_t fd, std::uint64_t size);
// Returns: success after futimens; see utimens_times for EINVAL.
Errno fd_filestat_set_times(WasiContext& context, std::uint32_t fd, std::uint64_t atim,
                            std::uint64_t mtim, std::uint32_t fst_flags);
// Returns: bytes read at `offset` without moving the position; ESPIPE on pipes.
Result<std::size_t> fd_pread(WasiContext& context, std::uint32_t fd, IoVecs buffers,
                             std::uint64_t offset);
// Returns: bytes written at `offset` without moving the position; ESPIPE on pipes. (Linux
// appends regardless of `offset` on an APPEND descriptor.)
Result<std::size_t> fd_pwrite(WasiContext& context, std::uint32_t fd, IoVecs buffers,
                              std::uint64_t offset);
// Returns: bytes read; suspends the process (never the thread) until input is available.
Result<std::size_t> fd_read(WasiContext& context, runtime::Blocking* blocking, std::uint32_t fd,
                            IoVecs buffers);
// Returns: bytes written; suspends the process while a pipe or socket is full.
Result<std::size_t> fd_write(WasiContext& context, runtime::Blocking* blocking, std::uint32_t fd,
                             IoVecs buffers);
// Returns: the guest name of a preopened directory; EBADF for any other fd.
Result<const std::string*> fd_prestat_name(WasiContext& context, std::uint32_t fd);
// Fills `out` with dirents from `cookie` on (see readdir.hpp).
// Returns: bytes used; ENOTDIR for a non-directory.
Result<std::size_t> fd_readdir(WasiContext& context, std::uint32_t fd, std::span<std::uint8_t> out,
                               std::uint64_t cookie);
// Returns: success, or EBADF unless both fds are open.
Errno fd_renumber(WasiContext& context, std::uint32_t from, std::uint32_t to);
// Returns: the new offset; EINVAL for a bad whence or a negative result, ESPIPE on pipes.
Result<std::uint64_t> fd_seek(WasiContext& context, std::uint32_t fd, std::int64_t offset,
                              std::uint32_t whence);
// Returns: the current offset.
Result<std::uint64_t> fd_tell(WasiContext& context, std::uint32_t fd);

}  // namespace lunatic::wasi
