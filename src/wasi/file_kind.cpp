#include "wasi/file_kind.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "wasi/errno_map.hpp"
#include "wasi/timespec.hpp"

namespace lunatic::wasi {

FileType file_type_from_mode(mode_t mode) {
  switch (mode & S_IFMT) {
    case S_IFBLK:
      return FileType::kBlockDevice;
    case S_IFCHR:
      return FileType::kCharacterDevice;
    case S_IFDIR:
      return FileType::kDirectory;
    case S_IFREG:
      return FileType::kRegularFile;
    case S_IFLNK:
      return FileType::kSymbolicLink;
    case S_IFSOCK:
      return FileType::kSocketStream;
    default:
      return FileType::kUnknown;
  }
}

Filestat filestat_from_stat(const struct stat& st) {
  Filestat out;
  out.dev = static_cast<std::uint64_t>(st.st_dev);
  out.ino = static_cast<std::uint64_t>(st.st_ino);
  out.filetype = file_type_from_mode(st.st_mode);
  out.nlink = static_cast<std::uint64_t>(st.st_nlink);
  out.size = static_cast<std::uint64_t>(st.st_size);
  out.atim = to_nanoseconds(st.st_atim);
  out.mtim = to_nanoseconds(st.st_mtim);
  out.ctim = to_nanoseconds(st.st_ctim);
  return out;
}

Result<HostKind> probe_host_fd(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) return errno_from_host(errno);
  HostKind kind;
  kind.type = file_type_from_mode(st.st_mode);
  if (S_ISCHR(st.st_mode)) kind.tty = ::isatty(fd) == 1;
  if (S_ISSOCK(st.st_mode)) {
    kind.socket = true;
    int socket_type = 0;
    socklen_t len = sizeof(socket_type);
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &socket_type, &len) == 0 &&
        socket_type == SOCK_DGRAM) {
      kind.type = FileType::kSocketDgram;
    }
  }
  return kind;
}

Rights rights_for_kind(const HostKind& kind) {
  if (kind.type == FileType::kDirectory) return rights::kDirectory;
  if (kind.socket) return rights::kSocket;
  if (kind.tty) return rights::kTty;
  return rights::kRegularFile;
}

bool always_ready(FileType type) {
  return type == FileType::kRegularFile || type == FileType::kDirectory ||
         type == FileType::kBlockDevice;
}

}  // namespace lunatic::wasi
