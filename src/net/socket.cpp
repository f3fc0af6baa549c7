#include "net/socket.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "runtime/reactor.hpp"

namespace lunatic::net {

std::string os_error_text(int error) {
  return std::string(std::strerror(error)) + " (os error " + std::to_string(error) + ")";
}

std::shared_ptr<Socket> Socket::open(runtime::Reactor& reactor, int domain, int type) {
  UniqueFd fd(::socket(domain, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return nullptr;
  return adopt(reactor, std::move(fd));
}

std::shared_ptr<Socket> Socket::adopt(runtime::Reactor& reactor, UniqueFd fd) {
  auto source = reactor.register_source(fd.get());
  if (!source) return nullptr;
  return std::shared_ptr<Socket>(new Socket(std::move(fd), std::move(source)));
}

IoResult Socket::connect(runtime::Blocking& blocking, const sockaddr* address, socklen_t length,
                         std::optional<runtime::Clock::time_point> deadline) {
  if (::connect(fd(), address, length) == 0) return {0, 0, false};
  if (errno != EINPROGRESS && errno != EINTR) return {-1, errno, false};
  // The handshake goes on in the kernel; the socket becomes writable when it ends either way.
  for (;;) {
    const std::uint64_t seen = source_->readiness(runtime::IoDirection::kWrite);
    int error = 0;
    socklen_t size = sizeof error;
    if (::getsockopt(fd(), SOL_SOCKET, SO_ERROR, &error, &size) != 0) return {-1, errno, false};
    if (error != 0) return {-1, error, false};
    sockaddr_storage peer;
    socklen_t peer_length = sizeof peer;
    if (::getpeername(fd(), reinterpret_cast<sockaddr*>(&peer), &peer_length) == 0)
      return {0, 0, false};
    if (errno != ENOTCONN) return {-1, errno, false};
    if (!blocking.wait_io(*source_, runtime::IoDirection::kWrite, seen, deadline))
      return {-1, 0, true};
  }
}

}  // namespace lunatic::net
