// The path_* operations of wasi_snapshot_preview1, confined by the sandbox (sandbox.hpp).
//
// Each takes the process's WasiContext, guest fds, flags and paths already copied out of guest
// memory. The directory fd must be open (EBADF), a directory (ENOTDIR) and hold the rights the
// operation needs (ENOTCAPABLE); a path that would leave it is ENOTCAPABLE.
// Thread: the thread running the owning process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "wasi/wasi_context.hpp"
#include "wasi/wasi_types.hpp"

namespace lunatic::wasi {

// Opens or creates `path` beneath `dirfd`. The access mode follows the rights asked for (read:
// FD_READ or FD_READDIR; write: FD_WRITE, FD_ALLOCATE or FD_FILESTAT_SET_SIZE); rights not in
// the directory's inheriting rights are silently dropped, as wasi-libc and Rust's std expect.
// Returns: the new guest fd; EINVAL for unknown flag bits; EMFILE when the table is full;
// EINVAL for DIRECTORY with CREAT, EXCL or TRUNC; EISDIR for a directory with write rights;
// ELOOP for a symlink without LOOKUPFLAGS_SYMLINK_FOLLOW; otherwise the host's errno.
Result<std::uint32_t> path_open(WasiContext& context, std::uint32_t dirfd, std::uint32_t dirflags,
                                std::string_view path, std::uint32_t oflags, Rights rights_base,
                                Rights rights_inheriting, std::uint32_t fdflags);

// Returns: success once the directory exists; EEXIST if something has that name.
Errno path_create_directory(WasiContext& context, std::uint32_t dirfd, std::string_view path);

// Returns: the stat of `path`, of the symlink itself unless `lookup` has SYMLINK_FOLLOW.
Result<Filestat> path_filestat_get(WasiContext& context, std::uint32_t dirfd, std::uint32_t lookup,
                                   std::string_view path);

// Returns: success after setting the times (see utimens_times for EINVAL).
Errno path_filestat_set_times(WasiContext& context, std::uint32_t dirfd, std::uint32_t lookup,
                              std::string_view path, std::uint64_t atim, std::uint64_t mtim,
                              std::uint32_t fst_flags);

// Creates a hard link. With SYMLINK_FOLLOW in `old_lookup` the link is made to what the symlink
// names (resolved inside the sandbox), otherwise to the symlink itself.
// Returns: success; EEXIST; EPERM for a directory; EXDEV across file systems.
Errno path_link(WasiContext& context, std::uint32_t old_dirfd, std::uint32_t old_lookup,
                std::string_view old_path, std::uint32_t new_dirfd, std::string_view new_path);

// Reads a symlink's contents into `out`, truncated to its size (as POSIX readlink; Rust's std
// grows its buffer while the result fills it).
// Returns: bytes written; EINVAL when `path` is not a symlink.
Result<std::size_t> path_readlink(WasiContext& context, std::uint32_t dirfd, std::string_view path,
                                  std::span<std::uint8_t> out);

// Returns: success; ENOTEMPTY; ENOTDIR; EINVAL for "." .
Errno path_remove_directory(WasiContext& context, std::uint32_t dirfd, std::string_view path);

// Returns: success; EXDEV across file systems; ENOTDIR when a trailing slash names a
// non-directory.
Errno path_rename(WasiContext& context, std::uint32_t old_dirfd, std::string_view old_path,
                  std::uint32_t new_dirfd, std::string_view new_path);

// Creates a symlink at `new_path` containing `target`. The target must be relative and must
// not climb above `dirfd` from where the link is made (see sandbox::check_symlink_target).
// Returns: success; EEXIST; ENOTCAPABLE for a target that would escape.
Errno path_symlink(WasiContext& context, std::string_view target, std::uint32_t dirfd,
                   std::string_view new_path);

// Returns: success; EISDIR for a directory; ENOTDIR for "file/".
Errno path_unlink_file(WasiContext& context, std::uint32_t dirfd, std::string_view path);

}  // namespace lunatic::wasi
