#include "wasi/sock_service.hpp"

#include <sys/socket.h>

#include <cerrno>

#include "wasi/errno_map.hpp"
#include "wasi/fd_service.hpp"
#include "wasi/file_kind.hpp"

namespace lunatic::wasi {

namespace {

// Returns: the socket entry of `fd` holding `required`; EBADF, ENOTSOCK or ENOTCAPABLE.
Result<FdEntry*> lookup_socket(WasiContext& context, std::uint32_t fd, Rights required) {
  FdEntry* entry = context.fds().get(fd);
  if (entry == nullptr) return Errno::kBadf;
  if (!entry->socket) return Errno::kNotSock;
  if ((entry->rights_base & required) != required) return Errno::kNotCapable;
  return entry;
}

bool nonblocking(const FdEntry& entry) { return (entry.flags & fdflags::kNonblock) != 0; }

}  // namespace

Result<std::uint32_t> sock_accept(WasiContext& context, runtime::Blocking* blocking,
                                  std::uint32_t fd, std::uint32_t flags) {
  auto found = lookup_socket(context, fd, rights::kSockAccept);
  if (!found.ok()) return found.error();
  if ((flags & ~static_cast<std::uint32_t>(fdflags::kNonblock)) != 0) return Errno::kInval;
  FdEntry& listener = **found;
  int accepted;
  for (;;) {
    // accept() has no per-call "don't wait" flag, and an inherited listener's description may
    // be blocking: only call it once a connection is waiting.
    if (!listener.host_nonblocking && !ready_now(listener.fd(), false)) {
      if (nonblocking(listener)) return Errno::kAgain;
      wait_ready(blocking, listener.fd(), false);
      continue;
    }
    accepted = ::accept4(listener.fd(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (accepted >= 0) break;
    int error = errno;
    if (error == EINTR || error == ECONNABORTED) continue;
    if (error != EAGAIN) return errno_from_host(error);
    if (nonblocking(listener)) return Errno::kAgain;
    wait_ready(blocking, listener.fd(), false);
  }
  FdEntry entry;
  entry.host = UniqueFd(accepted);
  auto kind = probe_host_fd(accepted);
  entry.type = kind.ok() ? kind->type : FileType::kSocketStream;
  entry.socket = true;
  entry.rights_base = rights::kSocket & ~rights::kSockAccept & ~(rights::kFdSeek | rights::kFdTell);
  entry.flags = static_cast<FdFlags>(flags);
  entry.host_nonblocking = true;
  return context.fds().insert(std::move(entry));
}

Result<Received> sock_recv(WasiContext& context, runtime::Blocking* blocking, std::uint32_t fd,
                           IoVecs buffers, std::uint32_t riflags) {
  auto found = lookup_socket(context, fd, rights::kFdRead);
  if (!found.ok()) return found.error();
  if ((riflags & ~(riflags::kPeek | riflags::kWaitall)) != 0) return Errno::kInval;
  FdEntry& entry = **found;
  std::vector<struct iovec> iov = host_iovecs(buffers);
  std::size_t wanted = 0;
  for (const auto& v : iov) wanted += v.iov_len;
  if (wanted == 0) return Received{};
  const int peek = (riflags & riflags::kPeek) != 0 ? MSG_PEEK : 0;
  const bool wait_all = (riflags & riflags::kWaitall) != 0 && peek == 0;

  Received result;
  std::size_t skip = 0;  // bytes already received into the front of `iov` (WAITALL)
  for (;;) {
    // Advance past what is filled so far.
    std::vector<struct iovec> rest;
    std::size_t offset = skip;
    for (const auto& v : iov) {
      if (offset >= v.iov_len) {
        offset -= v.iov_len;
        continue;
      }
      // SAFETY: offset < v.iov_len, so the pointer stays inside this validated buffer.
      rest.push_back({static_cast<char*>(v.iov_base) + offset, v.iov_len - offset});
      offset = 0;
    }
    struct msghdr message {};
    message.msg_iov = rest.data();
    message.msg_iovlen = rest.size();
    ssize_t n = ::recvmsg(entry.fd(), &message, MSG_DONTWAIT | peek);
    if (n < 0) {
      int error = errno;
      if (error == EINTR) continue;
      if (error == EAGAIN) {
        if (skip > 0 && nonblocking(entry)) break;  // return what WAITALL has so far
        if (nonblocking(entry)) return Errno::kAgain;
        wait_ready(blocking, entry.fd(), false);
        continue;
      }
      if (skip > 0) break;
      return errno_from_host(error);
    }
    if ((message.msg_flags & MSG_TRUNC) != 0) result.roflags |= roflags::kDataTruncated;
    skip += static_cast<std::size_t>(n);
    if (!wait_all || n == 0 || skip >= wanted || entry.type == FileType::kSocketDgram) break;
  }
  result.bytes = skip;
  return result;
}

Result<std::size_t> sock_send(WasiContext& context, runtime::Blocking* blocking, std::uint32_t fd,
                              IoVecs buffers, std::uint32_t siflags) {
  auto found = lookup_socket(context, fd, rights::kFdWrite);
  if (!found.ok()) return found.error();
  if (siflags != 0) return Errno::kInval;
  return stream_write(**found, blocking, buffers, /*guard_sigpipe=*/false);
}

Errno sock_shutdown(WasiContext& context, std::uint32_t fd, std::uint32_t how) {
  auto found = lookup_socket(context, fd, rights::kSockShutdown);
  if (!found.ok()) return found.error();
  int host_how;
  switch (how) {
    case sdflags::kRd:
      host_how = SHUT_RD;
      break;
    case sdflags::kWr:
      host_how = SHUT_WR;
      break;
    case sdflags::kRd | sdflags::kWr:
      host_how = SHUT_RDWR;
      break;
    default:
      return Errno::kInval;
  }
  if (::shutdown((*found)->fd(), host_how) != 0) return errno_from_host(errno);
  return Errno::kSuccess;
}

}  // namespace lunatic::wasi
