#include "wasi/fd_service.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "wasi/errno_map.hpp"
#include "wasi/file_kind.hpp"
#include "wasi/timespec.hpp"

namespace lunatic::wasi {

namespace {

constexpr std::uint64_t kMaxOffset = static_cast<std::uint64_t>(INT64_MAX);
constexpr FdFlags kSyncFlags = fdflags::kDsync | fdflags::kRsync | fdflags::kSync;

Errno from_errno() { return errno_from_host(errno); }

}  // namespace

Result<FdEntry*> lookup_fd(WasiContext& context, std::uint32_t fd, Rights required) {
  FdEntry* entry = context.fds().get(fd);
  if (entry == nullptr) return Errno::kBadf;
  if ((entry->rights_base & required) != required) return Errno::kNotCapable;
  return entry;
}

Result<FdEntry*> lookup_dir(WasiContext& context, std::uint32_t fd, Rights required) {
  FdEntry* entry = context.fds().get(fd);
  if (entry == nullptr) return Errno::kBadf;
  if (entry->type != FileType::kDirectory) return Errno::kNotDir;
  if ((entry->rights_base & required) != required) return Errno::kNotCapable;
  return entry;
}

Result<FdEntry*> lookup_file(WasiContext& context, std::uint32_t fd, Rights required) {
  FdEntry* entry = context.fds().get(fd);
  if (entry == nullptr || entry->type == FileType::kDirectory) return Errno::kBadf;
  Rights missing = required & ~entry->rights_base;
  if ((missing & (rights::kFdRead | rights::kFdWrite)) != 0) return Errno::kBadf;
  if (missing != 0) return Errno::kNotCapable;
  return entry;
}

Result<std::array<struct timespec, 2>> utimens_times(std::uint64_t atim, std::uint64_t mtim,
                                                     std::uint32_t fst_flags) {
  using namespace fstflags;
  if ((fst_flags & ~kAll) != 0) return Errno::kInval;
  if ((fst_flags & kAtim) != 0 && (fst_flags & kAtimNow) != 0) return Errno::kInval;
  if ((fst_flags & kMtim) != 0 && (fst_flags & kMtimNow) != 0) return Errno::kInval;
  auto pick = [](std::uint32_t flags, std::uint32_t set, std::uint32_t now, std::uint64_t ns) {
    struct timespec ts {};
    if ((flags & now) != 0) {
      ts.tv_nsec = UTIME_NOW;
    } else if ((flags & set) != 0) {
      ts = from_nanoseconds(ns);
    } else {
      ts.tv_nsec = UTIME_OMIT;
    }
    return ts;
  };
  return std::array<struct timespec, 2>{pick(fst_flags, kAtim, kAtimNow, atim),
                                        pick(fst_flags, kMtim, kMtimNow, mtim)};
}

Errno fd_advise(WasiContext& context, std::uint32_t fd, std::uint64_t offset, std::uint64_t len,
                std::uint32_t advice) {
  auto entry = lookup_file(context, fd, rights::kFdAdvise);
  if (!entry.ok()) return entry.error();
  int host_advice;
  switch (advice) {
    case static_cast<std::uint32_t>(Advice::kNormal):
      host_advice = POSIX_FADV_NORMAL;
      break;
    case static_cast<std::uint32_t>(Advice::kSequential):
      host_advice = POSIX_FADV_SEQUENTIAL;
      break;
    case static_cast<std::uint32_t>(Advice::kRandom):
      host_advice = POSIX_FADV_RANDOM;
      break;
    case static_cast<std::uint32_t>(Advice::kWillNeed):
      host_advice = POSIX_FADV_WILLNEED;
      break;
    case static_cast<std::uint32_t>(Advice::kDontNeed):
      host_advice = POSIX_FADV_DONTNEED;
      break;
    case static_cast<std::uint32_t>(Advice::kNoReuse):
      host_advice = POSIX_FADV_NOREUSE;
      break;
    default:
      return Errno::kInval;
  }
  if (offset > kMaxOffset || len > kMaxOffset) return Errno::kInval;
  int rc = ::posix_fadvise((*entry)->fd(), static_cast<off_t>(offset), static_cast<off_t>(len),
                           host_advice);
  return errno_from_host(rc);  // posix_fadvise returns the error number itself
}

Errno fd_allocate(WasiContext& context, std::uint32_t fd, std::uint64_t offset, std::uint64_t len) {
  auto entry = lookup_file(context, fd, rights::kFdAllocate);
  if (!entry.ok()) return entry.error();
  if (len == 0 || offset > kMaxOffset || len > kMaxOffset) return Errno::kInval;
  if (offset + len > kMaxOffset) return Errno::kFbig;
  int rc = ::posix_fallocate((*entry)->fd(), static_cast<off_t>(offset), static_cast<off_t>(len));
  return errno_from_host(rc);  // posix_fallocate returns the error number itself
}

Errno fd_close(WasiContext& context, std::uint32_t fd) { return context.fds().close(fd); }

Errno fd_datasync(WasiContext& context, std::uint32_t fd) {
  auto entry = lookup_fd(context, fd, rights::kFdDatasync);
  if (!entry.ok()) return entry.error();
  return errno_of_call(::fdatasync((*entry)->fd()));
}

Errno fd_sync(WasiContext& context, std::uint32_t fd) {
  auto entry = lookup_fd(context, fd, rights::kFdSync);
  if (!entry.ok()) return entry.error();
  return errno_of_call(::fsync((*entry)->fd()));
}

Result<Fdstat> fd_fdstat_get(WasiContext& context, std::uint32_t fd) {
  FdEntry* entry = context.fds().get(fd);
  if (entry == nullptr) return Errno::kBadf;
  return Fdstat{entry->type, entry->flags, entry->rights_base, entry->rights_inheriting};
}

Errno fd_fdstat_set_flags(WasiContext& context, std::uint32_t fd, std::uint32_t flags) {
  auto found = lookup_fd(context, fd, rights::kFdFdstatSetFlags);
  if (!found.ok()) return found.error();
  FdEntry& entry = **found;
  if ((flags & ~static_cast<std::uint32_t>(fdflags::kAll)) != 0) return Errno::kInval;
  auto wanted = static_cast<FdFlags>(flags);
  if ((wanted & kSyncFlags) != (entry.flags & kSyncFlags)) return Errno::kNotSup;
  bool append = (wanted & fdflags::kAppend) != 0;
  if (append != ((entry.flags & fdflags::kAppend) != 0)) {
    // Our own descriptions only: the standard streams' flags belong to the host process.
    if (!entry.host.owned()) return Errno::kNotSup;
    int status = ::fcntl(entry.fd(), F_GETFL);
    if (status < 0) return from_errno();
    status = append ? (status | O_APPEND) : (status & ~O_APPEND);
    if (::fcntl(entry.fd(), F_SETFL, status) != 0) return from_errno();
  }
  // NONBLOCK is the guest's view only: host descriptions never make the thread wait.
  entry.flags = wanted;
  return Errno::kSuccess;
}

Errno fd_fdstat_set_rights(WasiContext& context, std::uint32_t fd, Rights base, Rights inheriting) {
  FdEntry* entry = context.fds().get(fd);
  if (entry == nullptr) return Errno::kBadf;
  if ((base & ~entry->rights_base) != 0 || (inheriting & ~entry->rights_inheriting) != 0) {
    return Errno::kNotCapable;
  }
  entry->rights_base = base;
  entry->rights_inheriting = inheriting;
  return Errno::kSuccess;
}

Result<Filestat> fd_filestat_get(WasiContext& context, std::uint32_t fd) {
  auto entry = lookup_fd(context, fd, rights::kFdFilestatGet);
  if (!entry.ok()) return entry.error();
  struct stat st {};
  if (::fstat((*entry)->fd(), &st) != 0) return from_errno();
  Filestat out = filestat_from_stat(st);
  // A socket's kind is only known from the socket itself.
  if ((*entry)->socket) out.filetype = (*entry)->type;
  return out;
}

Errno fd_filestat_set_size(WasiContext& context, std::uint32_t fd, std::uint64_t size) {
  auto entry = lookup_file(context, fd, rights::kFdFilestatSetSize);
  if (!entry.ok()) return entry.error();
  if (size > kMaxOffset) return Errno::kInval;
  return errno_of_call(::ftruncate((*entry)->fd(), static_cast<off_t>(size)));
}

Errno fd_filestat_set_times(WasiContext& context, std::uint32_t fd, std::uint64_t atim,
                            std::uint64_t mtim, std::uint32_t fst_flags) {
  auto entry = lookup_fd(context, fd, rights::kFdFilestatSetTimes);
  if (!entry.ok()) return entry.error();
  auto times = utimens_times(atim, mtim, fst_flags);
  if (!times.ok()) return times.error();
  return errno_of_call(::futimens((*entry)->fd(), times->data()));
}

Result<std::size_t> fd_pread(WasiContext& context, std::uint32_t fd, IoVecs buffers,
                             std::uint64_t offset) {
  auto entry = lookup_file(context, fd, rights::kFdRead | rights::kFdSeek);
  if (!entry.ok()) return entry.error();
  if (offset > kMaxOffset) return Errno::kInval;
  std::vector<struct iovec> iov = host_iovecs(buffers);
  if (iov.empty()) return std::size_t{0};
  for (;;) {
    ssize_t n = ::preadv((*entry)->fd(), iov.data(), static_cast<int>(iov.size()),
                         static_cast<off_t>(offset));
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return from_errno();
  }
}

Result<std::size_t> fd_pwrite(WasiContext& context, std::uint32_t fd, IoVecs buffers,
                              std::uint64_t offset) {
  auto entry = lookup_file(context, fd, rights::kFdWrite | rights::kFdSeek);
  if (!entry.ok()) return entry.error();
  if (offset > kMaxOffset) return Errno::kInval;
  std::vector<struct iovec> iov = host_iovecs(buffers);
  if (iov.empty()) return std::size_t{0};
  for (;;) {
    ssize_t n = ::pwritev((*entry)->fd(), iov.data(), static_cast<int>(iov.size()),
                          static_cast<off_t>(offset));
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) return from_errno();
  }
}

Result<std::size_t> fd_read(WasiContext& context, runtime::Blocking* blocking, std::uint32_t fd,
                            IoVecs buffers) {
  auto entry = lookup_file(context, fd, rights::kFdRead);
  if (!entry.ok()) return entry.error();
  return stream_read(**entry, blocking, buffers);
}

Result<std::size_t> fd_write(WasiContext& context, runtime::Blocking* blocking, std::uint32_t fd,
                             IoVecs buffers) {
  auto entry = lookup_file(context, fd, rights::kFdWrite);
  if (!entry.ok()) return entry.error();
  return stream_write(**entry, blocking, buffers, context.guard_sigpipe());
}

Result<const std::string*> fd_prestat_name(WasiContext& context, std::uint32_t fd) {
  FdEntry* entry = context.fds().get(fd);
  if (entry == nullptr || !entry->preopen) return Errno::kBadf;
  return &*entry->preopen;
}

Result<std::size_t> fd_readdir(WasiContext& context, std::uint32_t fd, std::span<std::uint8_t> out,
                               std::uint64_t cookie) {
  auto found = lookup_dir(context, fd, rights::kFdReaddir);
  if (!found.ok()) return found.error();
  FdEntry& entry = **found;
  if (cookie == 0 || entry.listing == nullptr) {
    auto listing = list_directory(entry.fd());
    if (!listing.ok()) return listing.error();
    entry.listing = std::make_unique<DirListing>(std::move(listing.value()));
  }
  return encode_dirents(entry.listing->records, cookie, out);
}

Errno fd_renumber(WasiContext& context, std::uint32_t from, std::uint32_t to) {
  return context.fds().renumber(from, to);
}

Result<std::uint64_t> fd_seek(WasiContext& context, std::uint32_t fd, std::int64_t offset,
                              std::uint32_t whence) {
  if (context.fds().get(fd) == nullptr) return Errno::kBadf;
  int host_whence;
  switch (whence) {
    case static_cast<std::uint32_t>(Whence::kSet):
      host_whence = SEEK_SET;
      break;
    case static_cast<std::uint32_t>(Whence::kCur):
      host_whence = SEEK_CUR;
      break;
    case static_cast<std::uint32_t>(Whence::kEnd):
      host_whence = SEEK_END;
      break;
    default:
      return Errno::kInval;
  }
  // Asking where we are is a tell, which needs only that right.
  Rights needed = (offset == 0 && host_whence == SEEK_CUR) ? rights::kFdTell : rights::kFdSeek;
  auto entry = lookup_file(context, fd, needed);
  if (!entry.ok()) return entry.error();
  off_t position = ::lseek((*entry)->fd(), static_cast<off_t>(offset), host_whence);
  if (position < 0) return from_errno();
  return static_cast<std::uint64_t>(position);
}

Result<std::uint64_t> fd_tell(WasiContext& context, std::uint32_t fd) {
  auto entry = lookup_file(context, fd, rights::kFdTell);
  if (!entry.ok()) return entry.error();
  off_t position = ::lseek((*entry)->fd(), 0, SEEK_CUR);
  if (position < 0) return from_errno();
  return static_cast<std::uint64_t>(position);
}

}  // namespace lunatic::wasi
