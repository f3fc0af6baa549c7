#include "wasi/path_service.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "wasi/errno_map.hpp"
#include "wasi/fd_service.hpp"
#include "wasi/file_kind.hpp"
#include "wasi/sandbox.hpp"

namespace lunatic::wasi {

namespace {

using sandbox::Location;

bool follows(std::uint32_t lookup) { return (lookup & lookupflags::kSymlinkFollow) != 0; }

// Returns: the last component's lstat, or its errno.
Result<struct stat> lstat_at(const Location& at) {
  struct stat st {};
  if (::fstatat(at.parent.get(), at.leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return errno_from_host(errno);
  }
  return st;
}

// A path with a trailing slash must name a directory.
// Returns: success if it does (or has no slash); ENOTDIR or the lstat errno otherwise.
Errno require_directory_if_slash(const Location& at) {
  if (!at.trailing_slash) return Errno::kSuccess;
  auto st = lstat_at(at);
  if (!st.ok()) return st.error();
  return S_ISDIR(st->st_mode) ? Errno::kSuccess : Errno::kNotDir;
}

// A new name given with a trailing slash cannot be created as a non-directory.
// Returns: EEXIST if the name exists, ENOENT otherwise.
Errno refuse_new_name_with_slash(const Location& at) {
  auto st = lstat_at(at);
  return st.ok() ? Errno::kExist : Errno::kNoEnt;
}

}  // namespace

Result<std::uint32_t> path_open(WasiContext& context, std::uint32_t dirfd, std::uint32_t dirflags,
                                std::string_view path, std::uint32_t oflags, Rights rights_base,
                                Rights rights_inheriting, std::uint32_t fdflags) {
  Rights needed = rights::kPathOpen;
  if ((oflags & oflags::kCreat) != 0) needed |= rights::kPathCreateFile;
  if ((oflags & oflags::kTrunc) != 0) needed |= rights::kPathFilestatSetSize;
  auto dir = lookup_dir(context, dirfd, needed);
  if (!dir.ok()) return dir.error();
  if ((oflags & ~oflags::kAll) != 0 ||
      (fdflags & ~static_cast<std::uint32_t>(fdflags::kAll)) != 0 ||
      (dirflags & ~lookupflags::kSymlinkFollow) != 0) {
    return Errno::kInval;
  }

  const bool directory = (oflags & oflags::kDirectory) != 0;
  if (directory && (oflags & (oflags::kCreat | oflags::kExcl | oflags::kTrunc)) != 0) {
    return Errno::kInval;  // a directory can only be opened, never created or truncated here
  }

  const Rights base = rights_base & (*dir)->rights_inheriting;
  const Rights inheriting = rights_inheriting & (*dir)->rights_inheriting;
  // Write access is asked for by rights alone; for a directory the kernel answers EISDIR, as
  // in wasmtime (wasi-libc's opendir and Rust's read_dir ask for read rights only).
  const bool write =
      (base & (rights::kFdWrite | rights::kFdAllocate | rights::kFdFilestatSetSize)) != 0;
  const bool read = (base & (rights::kFdRead | rights::kFdReaddir)) != 0;

  // O_NONBLOCK always: opening a FIFO must not wait for its peer, and a read or write on a
  // description we own must never make the thread wait (stream_io waits for the process).
  int flags = O_NONBLOCK | O_NOCTTY;
  flags |= write ? (read ? O_RDWR : O_WRONLY) : O_RDONLY;
  if ((oflags & oflags::kCreat) != 0) flags |= O_CREAT;
  if (directory) flags |= O_DIRECTORY;
  if ((oflags & oflags::kExcl) != 0) flags |= O_EXCL;
  if ((oflags & oflags::kTrunc) != 0) flags |= O_TRUNC;
  if (!follows(dirflags)) flags |= O_NOFOLLOW;
  if ((fdflags & fdflags::kAppend) != 0) flags |= O_APPEND;
  if ((fdflags & fdflags::kDsync) != 0) flags |= O_DSYNC;
  if ((fdflags & fdflags::kSync) != 0) flags |= O_SYNC;
  if ((fdflags & fdflags::kRsync) != 0) flags |= O_RSYNC;

  auto opened = sandbox::open_beneath((*dir)->fd(), path, flags, 0666);
  if (!opened.ok()) return opened.error();
  auto kind = probe_host_fd(opened->get());
  if (!kind.ok()) return kind.error();

  FdEntry entry;
  entry.host = std::move(opened.value());
  entry.type = kind->type;
  entry.tty = kind->tty;
  entry.socket = kind->socket;
  entry.rights_base = base & rights_for_kind(*kind);
  entry.rights_inheriting = kind->type == FileType::kDirectory ? inheriting : 0;
  entry.flags = static_cast<FdFlags>(fdflags);
  entry.host_nonblocking = true;
  return context.fds().insert(std::move(entry));
}

Errno path_create_directory(WasiContext& context, std::uint32_t dirfd, std::string_view path) {
  auto dir = lookup_dir(context, dirfd, rights::kPathCreateDirectory);
  if (!dir.ok()) return dir.error();
  auto at = sandbox::locate((*dir)->fd(), path);
  if (!at.ok()) return at.error();
  return errno_of_call(::mkdirat(at->parent.get(), at->leaf.c_str(), 0777));
}

Result<Filestat> path_filestat_get(WasiContext& context, std::uint32_t dirfd, std::uint32_t lookup,
                                   std::string_view path) {
  auto dir = lookup_dir(context, dirfd, rights::kPathFilestatGet);
  if (!dir.ok()) return dir.error();
  int flags = O_PATH | (follows(lookup) ? 0 : O_NOFOLLOW);
  auto opened = sandbox::open_beneath((*dir)->fd(), path, flags);
  if (!opened.ok()) return opened.error();
  struct stat st {};
  if (::fstat(opened->get(), &st) != 0) return errno_from_host(errno);
  return filestat_from_stat(st);
}

Errno path_filestat_set_times(WasiContext& context, std::uint32_t dirfd, std::uint32_t lookup,
                              std::string_view path, std::uint64_t atim, std::uint64_t mtim,
                              std::uint32_t fst_flags) {
  auto dir = lookup_dir(context, dirfd, rights::kPathFilestatSetTimes);
  if (!dir.ok()) return dir.error();
  auto times = utimens_times(atim, mtim, fst_flags);
  if (!times.ok()) return times.error();
  auto at = follows(lookup) ? sandbox::locate_following((*dir)->fd(), path)
                            : sandbox::locate((*dir)->fd(), path);
  if (!at.ok()) return at.error();
  if (at->trailing_slash && !follows(lookup)) {
    // "link/" names what the link points to.
    at = sandbox::locate_following((*dir)->fd(), path);
    if (!at.ok()) return at.error();
  }
  if (Errno e = require_directory_if_slash(*at); e != Errno::kSuccess) return e;
  // The kernel never follows the last component here: a symlink was chased above, inside
  // the sandbox, or is itself the object.
  return errno_of_call(
      ::utimensat(at->parent.get(), at->leaf.c_str(), times->data(), AT_SYMLINK_NOFOLLOW));
}

Errno path_link(WasiContext& context, std::uint32_t old_dirfd, std::uint32_t old_lookup,
                std::string_view old_path, std::uint32_t new_dirfd, std::string_view new_path) {
  auto old_dir = lookup_dir(context, old_dirfd, rights::kPathLinkSource);
  if (!old_dir.ok()) return old_dir.error();
  auto new_dir = lookup_dir(context, new_dirfd, rights::kPathLinkTarget);
  if (!new_dir.ok()) return new_dir.error();
  auto from = follows(old_lookup) ? sandbox::locate_following((*old_dir)->fd(), old_path)
                                  : sandbox::locate((*old_dir)->fd(), old_path);
  if (!from.ok()) return from.error();
  auto to = sandbox::locate((*new_dir)->fd(), new_path);
  if (!to.ok()) return to.error();
  if (from->trailing_slash) {
    Errno e = require_directory_if_slash(*from);
    return e != Errno::kSuccess ? e : Errno::kPerm;  // directories cannot be hard-linked
  }
  if (to->trailing_slash) return refuse_new_name_with_slash(*to);
  return errno_of_call(
      ::linkat(from->parent.get(), from->leaf.c_str(), to->parent.get(), to->leaf.c_str(), 0));
}

Result<std::size_t> path_readlink(WasiContext& context, std::uint32_t dirfd, std::string_view path,
                                  std::span<std::uint8_t> out) {
  auto dir = lookup_dir(context, dirfd, rights::kPathReadlink);
  if (!dir.ok()) return dir.error();
  auto at = sandbox::locate((*dir)->fd(), path);
  if (!at.ok()) return at.error();
  if (at->trailing_slash) {
    // "link/" names the link's target, which is never a symlink once resolved.
    auto target = sandbox::open_beneath((*dir)->fd(), path, O_PATH);
    return target.ok() ? Errno::kInval : target.error();
  }
  char dummy;
  // SAFETY: `out` is a host span over guest memory validated by the thunk; readlinkat writes
  // at most out.size() bytes into it (or one byte into `dummy` for an empty buffer).
  char* buffer = out.empty() ? &dummy : reinterpret_cast<char*>(out.data());
  std::size_t size = out.empty() ? 1 : out.size();
  ssize_t n = ::readlinkat(at->parent.get(), at->leaf.c_str(), buffer, size);
  if (n < 0) return errno_from_host(errno);
  return out.empty() ? std::size_t{0} : static_cast<std::size_t>(n);
}

Errno path_remove_directory(WasiContext& context, std::uint32_t dirfd, std::string_view path) {
  auto dir = lookup_dir(context, dirfd, rights::kPathRemoveDirectory);
  if (!dir.ok()) return dir.error();
  auto at = sandbox::locate((*dir)->fd(), path);
  if (!at.ok()) return at.error();
  return errno_of_call(::unlinkat(at->parent.get(), at->leaf.c_str(), AT_REMOVEDIR));
}

Errno path_rename(WasiContext& context, std::uint32_t old_dirfd, std::string_view old_path,
                  std::uint32_t new_dirfd, std::string_view new_path) {
  auto old_dir = lookup_dir(context, old_dirfd, rights::kPathRenameSource);
  if (!old_dir.ok()) return old_dir.error();
  auto new_dir = lookup_dir(context, new_dirfd, rights::kPathRenameTarget);
  if (!new_dir.ok()) return new_dir.error();
  auto from = sandbox::locate((*old_dir)->fd(), old_path);
  if (!from.ok()) return from.error();
  auto to = sandbox::locate((*new_dir)->fd(), new_path);
  if (!to.ok()) return to.error();
  if (from->trailing_slash || to->trailing_slash) {
    // Either slash says "directory": the source must be one.
    auto st = lstat_at(*from);
    if (!st.ok()) return st.error();
    if (!S_ISDIR(st->st_mode)) return Errno::kNotDir;
  }
  return errno_of_call(
      ::renameat(from->parent.get(), from->leaf.c_str(), to->parent.get(), to->leaf.c_str()));
}

Errno path_symlink(WasiContext& context, std::string_view target, std::uint32_t dirfd,
                   std::string_view new_path) {
  auto dir = lookup_dir(context, dirfd, rights::kPathSymlink);
  if (!dir.ok()) return dir.error();
  auto at = sandbox::locate((*dir)->fd(), new_path);
  if (!at.ok()) return at.error();
  if (Errno e = sandbox::check_symlink_target((*dir)->fd(), at->parent.get(), target);
      e != Errno::kSuccess) {
    return e;
  }
  if (at->trailing_slash) return refuse_new_name_with_slash(*at);
  std::string contents(target);
  return errno_of_call(::symlinkat(contents.c_str(), at->parent.get(), at->leaf.c_str()));
}

Errno path_unlink_file(WasiContext& context, std::uint32_t dirfd, std::string_view path) {
  auto dir = lookup_dir(context, dirfd, rights::kPathUnlinkFile);
  if (!dir.ok()) return dir.error();
  auto at = sandbox::locate((*dir)->fd(), path);
  if (!at.ok()) return at.error();
  if (at->trailing_slash) {
    auto st = lstat_at(*at);
    if (!st.ok()) return st.error();
    return S_ISDIR(st->st_mode) ? Errno::kIsDir : Errno::kNotDir;
  }
  return errno_of_call(::unlinkat(at->parent.get(), at->leaf.c_str(), 0));
}

}  // namespace lunatic::wasi
