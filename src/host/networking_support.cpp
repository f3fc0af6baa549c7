#include "host/networking_support.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include <fmt/core.h>

#include "host/environment.hpp"
#include "host/return_codes.hpp"
#include "net/dns_resolver.hpp"
#include "net/socket.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::host {

runtime::Reactor& reactor_of(HostContext& context) { return environment_of(context).scheduler().reactor(); }

runtime::Blocking& blocking_of(HostContext& context) {
  if (context.blocking == nullptr) fail("not inside a runtime process");
  return *context.blocking;
}

std::shared_ptr<net::Socket> bound_socket(HostContext& context, const net::SocketAddress& address, int type,
                                          std::uint32_t id_ptr) {
  constexpr int kListenBacklog = 1024;
  if (!network_permits(context, net::NetworkAccess::kBind, address)) {
    store_net_error(context, id_ptr, net::denied_text(net::NetworkAccess::kBind, address));
    return nullptr;
  }
  auto socket = net::Socket::open(reactor_of(context), address.family(), type);
  if (socket && type == SOCK_STREAM) {
    const int on = 1;
    ::setsockopt(socket->fd(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);  // as Rust's TcpListener
  }
  if (!socket || ::bind(socket->fd(), address.get(), address.length) != 0 ||
      (type == SOCK_STREAM && ::listen(socket->fd(), kListenBacklog) != 0)) {
    store_net_error(context, id_ptr, net::os_error_text(errno));
    return nullptr;
  }
  return socket;
}

std::shared_ptr<net::Socket> accept_socket(HostContext& context, net::Socket& listening, std::uint32_t id_ptr,
                                           std::uint32_t peer_ptr) {
  sockaddr_storage peer;
  socklen_t peer_length = 0;
  const net::IoResult accepted = listening.io(blocking_of(context), runtime::IoDirection::kRead, std::nullopt, [&] {
    peer_length = sizeof peer;
    return static_cast<ssize_t>(::accept4(listening.fd(), reinterpret_cast<sockaddr*>(&peer), &peer_length,
                                          SOCK_NONBLOCK | SOCK_CLOEXEC));
  });
  std::shared_ptr<net::Socket> socket;
  int error = accepted.error;
  if (accepted.ok()) {
    socket = net::Socket::adopt(reactor_of(context), UniqueFd(static_cast<int>(accepted.value)));
    if (!socket) error = errno;
  }
  if (!socket) {
    store_u64(context, peer_ptr, 0);
    store_net_error(context, id_ptr, net::os_error_text(error));
    return nullptr;
  }
  const auto address = net::SocketAddress::from(reinterpret_cast<sockaddr*>(&peer), peer_length);
  store_u64(context, peer_ptr, add_address_iterator(context, address));
  return socket;
}

bool network_permits(HostContext& context, net::NetworkAccess access, const net::SocketAddress& address) {
  return !context.config || context.config->network.permits(access, address);
}

std::uint32_t store_net_error(HostContext& context, std::uint32_t ptr, std::string error_text) {
  store_u64(context, ptr, add_error(context, std::move(error_text)));
  return kFailed;
}

std::uint32_t store_io_result(HostContext& context, const net::IoResult& result, std::uint32_t opaque_ptr) {
  if (result.timed_out) return kTimedOut;
  if (result.error != 0) return store_net_error(context, opaque_ptr, net::os_error_text(result.error));
  store_u64(context, opaque_ptr, static_cast<std::uint64_t>(result.value));
  return kOk;
}

std::optional<std::vector<net::SocketAddress>> resolve_waiting(HostContext& context, const std::string& host,
                                                               const std::string& port,
                                                               std::optional<runtime::Clock::time_point> deadline,
                                                               std::string& error) {
  // A lookup is network traffic: a process that may connect nowhere may not look names up.
  if (!context.config->network.permits_any(net::NetworkAccess::kConnect)) {
    error = "Permission denied: name lookups are not allowed by this process's config";
    return std::vector<net::SocketAddress>{};
  }
  // One lookup per process at a time: a lookup whose asker timed out still holds a resolver
  // thread until the DNS server answers, so a process asking again waits for its last one
  // first; it cannot take every resolver thread from the others.
  auto wait_for = [&](const net::DnsLookup& lookup) {
    const runtime::FdInterest interest{lookup.ready_fd(), true, false};
    runtime::FdReadiness readiness;
    while (!lookup.done()) {
      if (!blocking_of(context).wait_fds({&interest, 1}, {&readiness, 1}, deadline)) return false;
    }
    return true;
  };
  if (context.last_lookup && !wait_for(*context.last_lookup)) return std::nullopt;
  auto lookup = net::DnsResolver::shared().start(host, port);
  if (!lookup) {
    error = "cannot start a DNS lookup: too many lookups are under way";
    return std::vector<net::SocketAddress>{};
  }
  context.last_lookup = lookup;
  if (!wait_for(*lookup)) return std::nullopt;
  error = lookup->error();
  return lookup->addresses();
}

std::span<std::uint8_t> guest_buffer(HostContext& context, std::uint32_t ptr, std::uint32_t len) {
  auto bytes = context.memory().try_bytes(ptr, len);
  if (!bytes) fail("buffer out of bounds");
  return *bytes;
}

std::vector<std::span<std::uint8_t>> guest_iovecs(HostContext& context, std::uint32_t iovecs_ptr,
                                                  std::uint32_t iovecs_len) {
  auto buffers = read_guest_iovecs(context.memory(), iovecs_ptr, iovecs_len);
  if (!buffers) fail("buffer array or buffer out of bounds");
  return std::move(*buffers);
}

std::uint64_t add_address_iterator(HostContext& context, const net::SocketAddress& address) {
  return context.dns_iterators.add(net::DnsIterator{{address}, 0});
}

std::uint32_t store_socket_name(HostContext& context, int fd, bool peer, std::uint32_t id_ptr) {
  sockaddr_storage storage;
  socklen_t length = sizeof storage;
  auto* address = reinterpret_cast<sockaddr*>(&storage);
  if ((peer ? ::getpeername(fd, address, &length) : ::getsockname(fd, address, &length)) != 0) {
    return store_net_error(context, id_ptr, net::os_error_text(errno));
  }
  store_u64(context, id_ptr, add_address_iterator(context, net::SocketAddress::from(address, length)));
  return kOk;
}

}  // namespace lunatic::host
