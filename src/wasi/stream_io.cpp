#include "wasi/stream_io.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdint>

#include "common/sigpipe_guard.hpp"
#include "engine/execution/trap.hpp"
#include "runtime/blocking.hpp"
#include "wasi/errno_map.hpp"
#include "wasi/file_kind.hpp"

namespace lunatic::wasi {

namespace {

// Returns: true when the entry's host description may make a plain read or write wait.
bool may_block(const FdEntry& entry) {
  return !always_ready(entry.type) && !entry.host_nonblocking;
}

}  // namespace

std::vector<struct iovec> host_iovecs(IoVecs buffers) {
  std::vector<struct iovec> out;
  std::uint64_t total = 0;
  for (const auto& buffer : buffers) {
    if (out.size() == IOV_MAX || total == kMaxTransferBytes) break;
    if (buffer.empty()) continue;
    std::uint64_t len = std::min<std::uint64_t>(buffer.size(), kMaxTransferBytes - total);
    out.push_back({buffer.data(), static_cast<std::size_t>(len)});
    total += len;
  }
  return out;
}

void wait_ready(runtime::Blocking* blocking, int fd, bool write) {
  if (blocking == nullptr) {
    throw engine::GuestTrap{engine::TrapKind::kHostError,
                            "wasi: an I/O wait needs a scheduler, and this process has none"};
  }
  std::array<runtime::FdInterest, 1> interest{runtime::FdInterest{fd, !write, write}};
  std::array<runtime::FdReadiness, 1> ready{};
  blocking->wait_fds(interest, ready, std::nullopt);
}

bool ready_now(int fd, bool write) {
  struct pollfd p {
    fd, static_cast<short>(write ? POLLOUT : POLLIN), 0
  };
  // A zero timeout: this only asks, it never waits.
  int n = ::poll(&p, 1, 0);
  return n != 0;  // ready, hung up, or an error that the following call will report
}

Result<std::size_t> stream_read(FdEntry& entry, runtime::Blocking* blocking, IoVecs buffers) {
  std::vector<struct iovec> iov = host_iovecs(buffers);
  if (iov.empty()) return std::size_t{0};
  const int count = static_cast<int>(iov.size());
  const bool guest_nonblocking = (entry.flags & fdflags::kNonblock) != 0;
  for (;;) {
    ssize_t n;
    if (!may_block(entry)) {
      n = ::readv(entry.fd(), iov.data(), count);
    } else if (!entry.nowait_unsupported) {
      n = ::preadv2(entry.fd(), iov.data(), count, -1, RWF_NOWAIT);
      if (n < 0 && errno == EOPNOTSUPP) {
        entry.nowait_unsupported = true;
        continue;
      }
    } else {
      // Terminals refuse RWF_NOWAIT: wait for readability first, then read.
      if (!ready_now(entry.fd(), false)) {
        if (guest_nonblocking) return Errno::kAgain;
        wait_ready(blocking, entry.fd(), false);
      }
      n = ::readv(entry.fd(), iov.data(), count);
    }
    if (n >= 0) return static_cast<std::size_t>(n);
    int error = errno;
    if (error == EINTR) continue;
    if (error == EAGAIN && !always_ready(entry.type)) {
      if (guest_nonblocking) return Errno::kAgain;
      wait_ready(blocking, entry.fd(), false);
      continue;
    }
    return errno_from_host(error);
  }
}

Result<std::size_t> stream_write(FdEntry& entry, runtime::Blocking* blocking, IoVecs buffers,
                                 bool guard_sigpipe) {
  std::vector<struct iovec> iov = host_iovecs(buffers);
  if (iov.empty()) return std::size_t{0};
  const int count = static_cast<int>(iov.size());
  const bool guest_nonblocking = (entry.flags & fdflags::kNonblock) != 0;
  for (;;) {
    ssize_t n;
    int error = 0;
    if (entry.socket) {
      struct msghdr message {};
      message.msg_iov = iov.data();
      message.msg_iovlen = iov.size();
      n = ::sendmsg(entry.fd(), &message, MSG_DONTWAIT | MSG_NOSIGNAL);
      error = n < 0 ? errno : 0;
    } else if (!may_block(entry)) {
      SigpipeGuard guard(guard_sigpipe && !always_ready(entry.type));
      n = ::writev(entry.fd(), iov.data(), count);
      error = n < 0 ? errno : 0;
      guard.finish(error);
    } else if (!entry.nowait_unsupported) {
      SigpipeGuard guard(guard_sigpipe);
      n = ::pwritev2(entry.fd(), iov.data(), count, -1, RWF_NOWAIT);
      error = n < 0 ? errno : 0;
      guard.finish(error);
      if (error == EOPNOTSUPP) {
        entry.nowait_unsupported = true;
        continue;
      }
    } else {
      if (!ready_now(entry.fd(), true)) {
        if (guest_nonblocking) return Errno::kAgain;
        wait_ready(blocking, entry.fd(), true);
      }
      SigpipeGuard guard(guard_sigpipe);
      n = ::writev(entry.fd(), iov.data(), count);
      error = n < 0 ? errno : 0;
      guard.finish(error);
    }
    if (n >= 0) return static_cast<std::size_t>(n);
    if (error == EINTR) continue;
    if (error == EAGAIN && !always_ready(entry.type)) {
      if (guest_nonblocking) return Errno::kAgain;
      wait_ready(blocking, entry.fd(), true);
      continue;
    }
    return errno_from_host(error);
  }
}

}  // namespace lunatic::wasi
