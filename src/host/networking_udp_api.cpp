// lunatic::networking UDP: bound sockets, datagrams to and from any address or a connected
// peer, broadcast and TTL. A receive waits in the calling process only.
#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include <fmt/core.h>

#include "host/networking_api.hpp"
#include "host/networking_guest_address.hpp"
#include "host/networking_support.hpp"

namespace lunatic::host {
namespace {

// udp_bind(addr_type, addr_ptr, port, flow_info, scope_id, id_ptr) -> i32: 0 with the socket id,
// 1 with an error id.
std::uint32_t udp_bind(HostContext& context, std::uint32_t type, std::uint32_t address_ptr, std::uint32_t port,
                       std::uint32_t flow_info, std::uint32_t scope_id, std::uint32_t id_ptr) {
  const auto address = guest_socket_address(context.memory(), type, address_ptr, port, flow_info,
                                            scope_id, "lunatic::networking::udp_bind");
  auto socket = bound_socket(context, address, SOCK_DGRAM, id_ptr, "udp_bind");
  if (!socket) return kNetError;
  store_u64(context, id_ptr, context.udp_sockets.add(std::make_shared<net::UdpSocket>(std::move(socket))), "udp_bind");
  return kNetOk;
}

void drop_udp_socket(HostContext& context, std::uint64_t id) {
  drop_resource(context.udp_sockets, id, "udp socket", "drop_udp_socket");
}

std::uint64_t clone_udp_socket(HostContext& context, std::uint64_t id) {
  return context.udp_sockets.add(udp_socket_of(context, id, "clone_udp_socket"));
}

std::uint32_t udp_local_addr(HostContext& context, std::uint64_t id, std::uint32_t id_ptr) {
  return store_socket_name(context, udp_socket_of(context, id, "udp_local_addr")->socket->fd(), false, id_ptr,
                           "udp_local_addr");
}

std::uint32_t udp_peer_addr(HostContext& context, std::uint64_t id, std::uint32_t id_ptr) {
  return store_socket_name(context, udp_socket_of(context, id, "udp_peer_addr")->socket->fd(), true, id_ptr,
                           "udp_peer_addr");
}

// udp_connect(socket, addr_type, addr_ptr, port, flow_info, scope_id, timeout_ms, id_ptr) -> i32:
// sets the peer that udp_send sends to and the only one udp_receive hears from; 0, 1 with an
// error id at id_ptr. (A UDP connect does not wait, so the timeout never passes.)
std::uint32_t udp_connect(HostContext& context, std::uint64_t id, std::uint32_t type, std::uint32_t address_ptr,
                          std::uint32_t port, std::uint32_t flow_info, std::uint32_t scope_id, std::uint64_t,
                          std::uint32_t id_ptr) {
  auto socket = udp_socket_of(context, id, "udp_connect");
  const auto address = guest_socket_address(context.memory(), type, address_ptr, port, flow_info,
                                            scope_id, "lunatic::networking::udp_connect");
  if (!network_permits(context, net::NetworkAccess::kConnect, address)) {
    return store_net_error(context, id_ptr, net::denied_text(net::NetworkAccess::kConnect, address), "udp_connect");
  }
  if (::connect(socket->socket->fd(), address.get(), address.length) != 0) {
    return store_net_error(context, id_ptr, net::os_error_text(errno), "udp_connect");
  }
  return kNetOk;
}

// udp_receive(socket, buffer_ptr, buffer_len, opaque_ptr) -> i32: waits for one datagram; 0 with
// its size (cut to the buffer), 1 with an error id.
std::uint32_t udp_receive(HostContext& context, std::uint64_t id, std::uint32_t buffer_ptr, std::uint32_t buffer_len,
                          std::uint32_t opaque_ptr) {
  auto socket = udp_socket_of(context, id, "udp_receive");
  auto buffer = guest_buffer(context, buffer_ptr, buffer_len, "udp_receive");
  const int fd = socket->socket->fd();
  const net::IoResult received = socket->socket->io(blocking_of(context), runtime::IoDirection::kRead, std::nullopt,
                                                    [&] { return ::recv(fd, buffer.data(), buffer.size(), 0); });
  return store_io_result(context, received, opaque_ptr, "udp_receive");
}

// udp_receive_from(socket, buffer_ptr, buffer_len, opaque_ptr, dns_iter_ptr) -> i32: as
// udp_receive, plus the sender's address as a DNS iterator id at dns_iter_ptr.
std::uint32_t udp_receive_from(HostContext& context, std::uint64_t id, std::uint32_t buffer_ptr,
                               std::uint32_t buffer_len, std::uint32_t opaque_ptr, std::uint32_t dns_iter_ptr) {
  auto socket = udp_socket_of(context, id, "udp_receive_from");
  auto buffer = guest_buffer(context, buffer_ptr, buffer_len, "udp_receive_from");
  const int fd = socket->socket->fd();
  sockaddr_storage sender;
  socklen_t sender_length = 0;
  const net::IoResult received =
      socket->socket->io(blocking_of(context), runtime::IoDirection::kRead, std::nullopt, [&] {
        sender_length = sizeof sender;
        return ::recvfrom(fd, buffer.data(), buffer.size(), 0, reinterpret_cast<sockaddr*>(&sender), &sender_length);
      });
  const std::uint32_t result = store_io_result(context, received, opaque_ptr, "udp_receive_from");
  if (result == kNetOk) {
    const auto address = net::SocketAddress::from(reinterpret_cast<sockaddr*>(&sender), sender_length);
    store_u64(context, dns_iter_ptr, add_address_iterator(context, address), "udp_receive_from");
  }
  return result;
}

// udp_send_to(socket, buffer_ptr, buffer_len, addr_type, addr_ptr, port, flow_info, scope_id,
// opaque_ptr) -> i32: 0 with the bytes sent, 1 with an error id.
std::uint32_t udp_send_to(HostContext& context, std::uint64_t id, std::uint32_t buffer_ptr, std::uint32_t buffer_len,
                          std::uint32_t type, std::uint32_t address_ptr, std::uint32_t port, std::uint32_t flow_info,
                          std::uint32_t scope_id, std::uint32_t opaque_ptr) {
  auto socket = udp_socket_of(context, id, "udp_send_to");
  auto buffer = guest_buffer(context, buffer_ptr, buffer_len, "udp_send_to");
  const auto address = guest_socket_address(context.memory(), type, address_ptr, port, flow_info,
                                            scope_id, "lunatic::networking::udp_send_to");
  if (!network_permits(context, net::NetworkAccess::kConnect, address)) {
    return store_net_error(context, opaque_ptr, net::denied_text(net::NetworkAccess::kConnect, address), "udp_send_to");
  }
  const int fd = socket->socket->fd();
  const net::IoResult sent = socket->socket->io(blocking_of(context), runtime::IoDirection::kWrite, std::nullopt, [&] {
    return ::sendto(fd, buffer.data(), buffer.size(), MSG_NOSIGNAL, address.get(), address.length);
  });
  return store_io_result(context, sent, opaque_ptr, "udp_send_to");
}

// udp_send(socket, buffer_ptr, buffer_len, opaque_ptr) -> i32: to the connected peer.
std::uint32_t udp_send(HostContext& context, std::uint64_t id, std::uint32_t buffer_ptr, std::uint32_t buffer_len,
                       std::uint32_t opaque_ptr) {
  auto socket = udp_socket_of(context, id, "udp_send");
  auto buffer = guest_buffer(context, buffer_ptr, buffer_len, "udp_send");
  const int fd = socket->socket->fd();
  const net::IoResult sent = socket->socket->io(blocking_of(context), runtime::IoDirection::kWrite, std::nullopt,
                                                [&] { return ::send(fd, buffer.data(), buffer.size(), MSG_NOSIGNAL); });
  return store_io_result(context, sent, opaque_ptr, "udp_send");
}

// Socket options; a failing setsockopt/getsockopt traps, as in Lunatic.
void set_option(HostContext& context, std::uint64_t id, int level, int name, int value, const char* where) {
  if (::setsockopt(udp_socket_of(context, id, where)->socket->fd(), level, name, &value, sizeof value) != 0) {
    fail(fmt::format("lunatic::networking::{}: {}", where, net::os_error_text(errno)));
  }
}
int get_option(HostContext& context, std::uint64_t id, int level, int name, const char* where) {
  int value = 0;
  socklen_t size = sizeof value;
  if (::getsockopt(udp_socket_of(context, id, where)->socket->fd(), level, name, &value, &size) != 0) {
    fail(fmt::format("lunatic::networking::{}: {}", where, net::os_error_text(errno)));
  }
  return value;
}

// The unicast TTL of the socket's family (IP_TTL, or IPV6_UNICAST_HOPS for IPv6 sockets).
std::pair<int, int> ttl_option(HostContext& context, std::uint64_t id, const char* where) {
  const int family = get_option(context, id, SOL_SOCKET, SO_DOMAIN, where);
  return family == AF_INET6 ? std::pair{IPPROTO_IPV6, IPV6_UNICAST_HOPS} : std::pair{IPPROTO_IP, IP_TTL};
}

void set_udp_socket_broadcast(HostContext& context, std::uint64_t id, std::uint32_t on) {
  set_option(context, id, SOL_SOCKET, SO_BROADCAST, on > 0 ? 1 : 0, "set_udp_socket_broadcast");
}
std::uint32_t get_udp_socket_broadcast(HostContext& context, std::uint64_t id) {
  return get_option(context, id, SOL_SOCKET, SO_BROADCAST, "get_udp_socket_broadcast") != 0 ? 1 : 0;
}
void set_udp_socket_ttl(HostContext& context, std::uint64_t id, std::uint32_t ttl) {
  const auto [level, name] = ttl_option(context, id, "set_udp_socket_ttl");
  set_option(context, id, level, name, static_cast<int>(ttl), "set_udp_socket_ttl");
}
std::uint32_t get_udp_socket_ttl(HostContext& context, std::uint64_t id) {
  const auto [level, name] = ttl_option(context, id, "get_udp_socket_ttl");
  return static_cast<std::uint32_t>(get_option(context, id, level, name, "get_udp_socket_ttl"));
}

}  // namespace

std::vector<HostFunction> udp_functions() {
  const std::string m = "lunatic::networking";
  return {
      host_function<&udp_bind>(m, "udp_bind"),
      host_function<&drop_udp_socket>(m, "drop_udp_socket"),
      host_function<&clone_udp_socket>(m, "clone_udp_socket"),
      host_function<&udp_local_addr>(m, "udp_local_addr"),
      host_function<&udp_peer_addr>(m, "udp_peer_addr"),
      host_function<&udp_connect>(m, "udp_connect"),
      host_function<&udp_receive>(m, "udp_receive"),
      host_function<&udp_receive_from>(m, "udp_receive_from"),
      host_function<&udp_send_to>(m, "udp_send_to"),
      host_function<&udp_send>(m, "udp_send"),
      host_function<&set_udp_socket_broadcast>(m, "set_udp_socket_broadcast"),
      host_function<&get_udp_socket_broadcast>(m, "get_udp_socket_broadcast"),
      host_function<&set_udp_socket_ttl>(m, "set_udp_socket_ttl"),
      host_function<&get_udp_socket_ttl>(m, "get_udp_socket_ttl"),
  };
}

}  // namespace lunatic::host
