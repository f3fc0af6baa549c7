#include "net/socket_service.hpp"

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cerrno>
#include <utility>
#include <vector>

#include "runtime/reactor.hpp"
#include "runtime/runtime_counters.hpp"

namespace lunatic::net {
namespace {

constexpr int kListenBacklog = 1024;
constexpr std::size_t kMaxIovecs = 1024;  // Linux's IOV_MAX

OsResult<std::shared_ptr<Socket>> bound_socket(runtime::Reactor& reactor,
                                               const SocketAddress& address, int type) {
  auto socket = Socket::open(reactor, address.family(), type);
  if (socket && type == SOCK_STREAM) {
    const int on = 1;
    ::setsockopt(socket->fd(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);  // as Rust's TcpListener
  }
  if (!socket || ::bind(socket->fd(), address.get(), address.length) != 0 ||
      (type == SOCK_STREAM && ::listen(socket->fd(), kListenBacklog) != 0)) {
    return {nullptr, errno, false};
  }
  return {std::move(socket), 0, false};
}

// Bytes a socket took in or gave out, for metrics (a peek takes nothing in).
IoResult counted(IoResult result, runtime::Counter counter) {
  if (result.ok()) runtime::count_on_worker(counter, static_cast<std::uint64_t>(result.value));
  return result;
}

IoResult receive(runtime::Blocking& blocking, Socket& socket, std::span<std::uint8_t> buffer,
                 int flags, Deadline deadline) {
  const IoResult received = socket.io(blocking, runtime::IoDirection::kRead, deadline, [&] {
    return ::recv(socket.fd(), buffer.data(), buffer.size(), flags);
  });
  return (flags & MSG_PEEK) != 0 ? received : counted(received, runtime::Counter::kSocketBytesIn);
}

IoResult send_datagram(runtime::Blocking& blocking, Socket& socket,
                       std::span<const std::uint8_t> data, const SocketAddress* address) {
  return counted(socket.io(blocking, runtime::IoDirection::kWrite, std::nullopt,
                           [&] {
                             return address == nullptr
                                        ? ::send(socket.fd(), data.data(), data.size(),
                                                 MSG_NOSIGNAL)
                                        : ::sendto(socket.fd(), data.data(), data.size(),
                                                   MSG_NOSIGNAL, address->get(), address->length);
                           }),
                 runtime::Counter::kSocketBytesOut);
}

// getsockopt of an int option. Returns: its value, or the errno.
OsResult<int> int_option(const Socket& socket, int level, int name) {
  int value = 0;
  socklen_t size = sizeof value;
  if (::getsockopt(socket.fd(), level, name, &value, &size) != 0) return {0, errno, false};
  return {value, 0, false};
}

int set_int_option(Socket& socket, int level, int name, int value) {
  return ::setsockopt(socket.fd(), level, name, &value, sizeof value) != 0 ? errno : 0;
}

// The level and name of the unicast TTL option for the socket's family.
OsResult<std::pair<int, int>> ttl_option(const Socket& socket) {
  const auto family = int_option(socket, SOL_SOCKET, SO_DOMAIN);
  if (!family.ok()) return {{}, family.error, false};
  return {family.value == AF_INET6 ? std::pair{IPPROTO_IPV6, IPV6_UNICAST_HOPS}
                                   : std::pair{IPPROTO_IP, IP_TTL},
          0, false};
}

OsResult<SocketAddress> socket_name(const Socket& socket, bool peer) {
  sockaddr_storage storage;
  socklen_t length = sizeof storage;
  auto* address = reinterpret_cast<sockaddr*>(&storage);
  if ((peer ? ::getpeername(socket.fd(), address, &length)
            : ::getsockname(socket.fd(), address, &length)) != 0) {
    return {{}, errno, false};
  }
  return {SocketAddress::from(address, length), 0, false};
}

}  // namespace

OsResult<std::shared_ptr<Socket>> tcp_listen(runtime::Reactor& reactor,
                                             const SocketAddress& address) {
  return bound_socket(reactor, address, SOCK_STREAM);
}

OsResult<Accepted> tcp_accept(runtime::Reactor& reactor, runtime::Blocking& blocking,
                              Socket& listening) {
  sockaddr_storage peer;
  socklen_t peer_length = 0;
  const IoResult accepted = listening.io(blocking, runtime::IoDirection::kRead, std::nullopt, [&] {
    peer_length = sizeof peer;
    return static_cast<ssize_t>(::accept4(listening.fd(), reinterpret_cast<sockaddr*>(&peer),
                                          &peer_length, SOCK_NONBLOCK | SOCK_CLOEXEC));
  });
  if (!accepted.ok()) return {{}, accepted.error, accepted.timed_out};
  auto socket = Socket::adopt(reactor, UniqueFd(static_cast<int>(accepted.value)));
  if (!socket) return {{}, errno, false};
  return {{std::move(socket), SocketAddress::from(reinterpret_cast<sockaddr*>(&peer), peer_length)},
          0,
          false};
}

OsResult<std::shared_ptr<Socket>> tcp_connect(runtime::Reactor& reactor,
                                              runtime::Blocking& blocking,
                                              const SocketAddress& address, Deadline deadline) {
  auto socket = Socket::open(reactor, address.family(), SOCK_STREAM);
  if (!socket) return {nullptr, errno, false};
  const IoResult connected = socket->connect(blocking, address.get(), address.length, deadline);
  if (!connected.ok()) return {nullptr, connected.error, connected.timed_out};
  return {std::move(socket), 0, false};
}

IoResult tcp_send(runtime::Blocking& blocking, Socket& socket,
                  std::span<const std::span<const std::uint8_t>> buffers, Deadline deadline) {
  std::vector<iovec> vectors;
  for (auto buffer : buffers) {
    if (!buffer.empty() && vectors.size() < kMaxIovecs) {
      // SAFETY: sendmsg only reads through iov_base; iovec has no const version of it.
      vectors.push_back({const_cast<std::uint8_t*>(buffer.data()), buffer.size()});
    }
  }
  msghdr message{};
  message.msg_iov = vectors.data();
  message.msg_iovlen = vectors.size();
  return counted(socket.io(blocking, runtime::IoDirection::kWrite, deadline,
                           [&] {
                             return vectors.empty()
                                        ? ssize_t{0}
                                        : ::sendmsg(socket.fd(), &message, MSG_NOSIGNAL);
                           }),
                 runtime::Counter::kSocketBytesOut);
}

IoResult tcp_receive(runtime::Blocking& blocking, Socket& socket, std::span<std::uint8_t> buffer,
                     Deadline deadline) {
  return receive(blocking, socket, buffer, 0, deadline);
}

IoResult tcp_peek(runtime::Blocking& blocking, Socket& socket, std::span<std::uint8_t> buffer,
                  Deadline deadline) {
  return receive(blocking, socket, buffer, MSG_PEEK, deadline);
}

OsResult<std::shared_ptr<Socket>> udp_bind(runtime::Reactor& reactor,
                                           const SocketAddress& address) {
  return bound_socket(reactor, address, SOCK_DGRAM);
}

int udp_connect(Socket& socket, const SocketAddress& address) {
  return ::connect(socket.fd(), address.get(), address.length) != 0 ? errno : 0;
}

IoResult udp_send(runtime::Blocking& blocking, Socket& socket, std::span<const std::uint8_t> data) {
  return send_datagram(blocking, socket, data, nullptr);
}

IoResult udp_send_to(runtime::Blocking& blocking, Socket& socket,
                     std::span<const std::uint8_t> data, const SocketAddress& address) {
  return send_datagram(blocking, socket, data, &address);
}

IoResult udp_receive(runtime::Blocking& blocking, Socket& socket, std::span<std::uint8_t> buffer) {
  return receive(blocking, socket, buffer, 0, std::nullopt);
}

IoResult udp_receive_from(runtime::Blocking& blocking, Socket& socket,
                          std::span<std::uint8_t> buffer, SocketAddress& sender) {
  sockaddr_storage from;
  socklen_t from_length = 0;
  const IoResult received = socket.io(blocking, runtime::IoDirection::kRead, std::nullopt, [&] {
    from_length = sizeof from;
    return ::recvfrom(socket.fd(), buffer.data(), buffer.size(), 0,
                      reinterpret_cast<sockaddr*>(&from), &from_length);
  });
  if (received.ok()) sender = SocketAddress::from(reinterpret_cast<sockaddr*>(&from), from_length);
  return counted(received, runtime::Counter::kSocketBytesIn);
}

int udp_set_broadcast(Socket& socket, bool on) {
  return set_int_option(socket, SOL_SOCKET, SO_BROADCAST, on ? 1 : 0);
}

OsResult<bool> udp_broadcast(const Socket& socket) {
  const auto value = int_option(socket, SOL_SOCKET, SO_BROADCAST);
  return {value.value != 0, value.error, false};
}

int udp_set_ttl(Socket& socket, std::uint32_t ttl) {
  const auto option = ttl_option(socket);
  if (!option.ok()) return option.error;
  return set_int_option(socket, option.value.first, option.value.second, static_cast<int>(ttl));
}

OsResult<std::uint32_t> udp_ttl(const Socket& socket) {
  const auto option = ttl_option(socket);
  if (!option.ok()) return {0, option.error, false};
  const auto value = int_option(socket, option.value.first, option.value.second);
  return {static_cast<std::uint32_t>(value.value), value.error, false};
}

OsResult<SocketAddress> local_address(const Socket& socket) { return socket_name(socket, false); }

OsResult<SocketAddress> peer_address(const Socket& socket) { return socket_name(socket, true); }

}  // namespace lunatic::net
