// lunatic::networking UDP: bound sockets, datagrams to and from any address or a connected
// peer, broadcast and TTL. A receive waits in the calling process only.
#include <fmt/core.h>

#include "host/networking_api.hpp"
#include "host/networking_context.hpp"
#include "host/networking_guest_address.hpp"
#include "host/networking_guest_io.hpp"
#include "net/socket_service.hpp"

namespace lunatic::host {
namespace {

// udp_bind(addr_type, addr_ptr, port, flow_info, scope_id, id_ptr) -> i32: 0 with the socket id,
// 1 with an error id.
std::uint32_t udp_bind(HostContext& context, std::uint32_t type, std::uint32_t address_ptr,
                       std::uint32_t port, std::uint32_t flow_info, std::uint32_t scope_id,
                       std::uint32_t id_ptr) {
  const auto address =
      guest_socket_address(context.memory(), type, address_ptr, port, flow_info, scope_id);
  auto socket = bound_socket(context, address, net::udp_bind, id_ptr);
  if (!socket) return kFailed;
  store_u64(context, id_ptr,
            context.udp_sockets.add(std::make_shared<net::UdpSocket>(std::move(socket))));
  return kOk;
}

void drop_udp_socket(HostContext& context, std::uint64_t id) {
  drop_resource(context.udp_sockets, id, "udp socket");
}

std::uint64_t clone_udp_socket(HostContext& context, std::uint64_t id) {
  return context.udp_sockets.add(udp_socket_of(context, id));
}

std::uint32_t udp_local_addr(HostContext& context, std::uint64_t id, std::uint32_t id_ptr) {
  const auto socket = udp_socket_of(context, id);
  return store_address_result(context, net::local_address(*socket->socket), id_ptr);
}

std::uint32_t udp_peer_addr(HostContext& context, std::uint64_t id, std::uint32_t id_ptr) {
  const auto socket = udp_socket_of(context, id);
  return store_address_result(context, net::peer_address(*socket->socket), id_ptr);
}

// udp_connect(socket, addr_type, addr_ptr, port, flow_info, scope_id, timeout_ms, id_ptr) -> i32:
// sets the peer that udp_send sends to and the only one udp_receive hears from; 0, 1 with an
// error id at id_ptr. (A UDP connect does not wait, so the timeout never passes.)
std::uint32_t udp_connect(HostContext& context, std::uint64_t id, std::uint32_t type,
                          std::uint32_t address_ptr, std::uint32_t port, std::uint32_t flow_info,
                          std::uint32_t scope_id, std::uint64_t, std::uint32_t id_ptr) {
  auto socket = udp_socket_of(context, id);
  const auto address =
      guest_socket_address(context.memory(), type, address_ptr, port, flow_info, scope_id);
  if (!check_network_access(context, net::NetworkAccess::kConnect, address, id_ptr)) {
    return kFailed;
  }
  if (const int error = net::udp_connect(*socket->socket, address)) {
    return store_os_error(context, id_ptr, error);
  }
  return kOk;
}

// udp_receive(socket, buffer_ptr, buffer_len, opaque_ptr) -> i32: waits for one datagram; 0 with
// its size (cut to the buffer), 1 with an error id.
std::uint32_t udp_receive(HostContext& context, std::uint64_t id, std::uint32_t buffer_ptr,
                          std::uint32_t buffer_len, std::uint32_t opaque_ptr) {
  auto socket = udp_socket_of(context, id);
  auto buffer = guest_buffer(context, buffer_ptr, buffer_len);
  const net::IoResult received = net::udp_receive(blocking_of(context), *socket->socket, buffer);
  return store_io_result(context, received, opaque_ptr);
}

// udp_receive_from(socket, buffer_ptr, buffer_len, opaque_ptr, dns_iter_ptr) -> i32: as
// udp_receive, plus the sender's address as a DNS iterator id at dns_iter_ptr.
std::uint32_t udp_receive_from(HostContext& context, std::uint64_t id, std::uint32_t buffer_ptr,
                               std::uint32_t buffer_len, std::uint32_t opaque_ptr,
                               std::uint32_t dns_iter_ptr) {
  auto socket = udp_socket_of(context, id);
  auto buffer = guest_buffer(context, buffer_ptr, buffer_len);
  net::SocketAddress sender;
  const net::IoResult received =
      net::udp_receive_from(blocking_of(context), *socket->socket, buffer, sender);
  const std::uint32_t result = store_io_result(context, received, opaque_ptr);
  if (result == kOk) {
    store_u64(context, dns_iter_ptr, add_address_iterator(context, sender));
  }
  return result;
}

// udp_send_to(socket, buffer_ptr, buffer_len, addr_type, addr_ptr, port, flow_info, scope_id,
// opaque_ptr) -> i32: 0 with the bytes sent, 1 with an error id.
std::uint32_t udp_send_to(HostContext& context, std::uint64_t id, std::uint32_t buffer_ptr,
                          std::uint32_t buffer_len, std::uint32_t type, std::uint32_t address_ptr,
                          std::uint32_t port, std::uint32_t flow_info, std::uint32_t scope_id,
                          std::uint32_t opaque_ptr) {
  auto socket = udp_socket_of(context, id);
  auto buffer = guest_buffer(context, buffer_ptr, buffer_len);
  const auto address =
      guest_socket_address(context.memory(), type, address_ptr, port, flow_info, scope_id);
  if (!check_network_access(context, net::NetworkAccess::kConnect, address, opaque_ptr)) {
    return kFailed;
  }
  const net::IoResult sent =
      net::udp_send_to(blocking_of(context), *socket->socket, buffer, address);
  return store_io_result(context, sent, opaque_ptr);
}

// udp_send(socket, buffer_ptr, buffer_len, opaque_ptr) -> i32: to the connected peer.
std::uint32_t udp_send(HostContext& context, std::uint64_t id, std::uint32_t buffer_ptr,
                       std::uint32_t buffer_len, std::uint32_t opaque_ptr) {
  auto socket = udp_socket_of(context, id);
  auto buffer = guest_buffer(context, buffer_ptr, buffer_len);
  const net::IoResult sent = net::udp_send(blocking_of(context), *socket->socket, buffer);
  return store_io_result(context, sent, opaque_ptr);
}

// Socket options; a failing setsockopt/getsockopt traps, as in Lunatic.
void trap_on_os_error(int error) {
  if (error != 0) {
    fail(fmt::format("{}", net::os_error_text(error)));
  }
}

void set_udp_socket_broadcast(HostContext& context, std::uint64_t id, std::uint32_t on) {
  trap_on_os_error(net::udp_set_broadcast(*udp_socket_of(context, id)->socket, on > 0));
}
std::uint32_t get_udp_socket_broadcast(HostContext& context, std::uint64_t id) {
  const auto broadcast = net::udp_broadcast(*udp_socket_of(context, id)->socket);
  trap_on_os_error(broadcast.error);
  return broadcast.value ? 1 : 0;
}
void set_udp_socket_ttl(HostContext& context, std::uint64_t id, std::uint32_t ttl) {
  trap_on_os_error(net::udp_set_ttl(*udp_socket_of(context, id)->socket, ttl));
}
std::uint32_t get_udp_socket_ttl(HostContext& context, std::uint64_t id) {
  const auto ttl = net::udp_ttl(*udp_socket_of(context, id)->socket);
  trap_on_os_error(ttl.error);
  return ttl.value;
}

}  // namespace

std::vector<engine::ImportFunction> udp_functions() {
  constexpr ImportName m{"lunatic::networking"};
  return {
      host_function<&udp_bind, m, "udp_bind">(),
      host_function<&drop_udp_socket, m, "drop_udp_socket">(),
      host_function<&clone_udp_socket, m, "clone_udp_socket">(),
      host_function<&udp_local_addr, m, "udp_local_addr">(),
      host_function<&udp_peer_addr, m, "udp_peer_addr">(),
      host_function<&udp_connect, m, "udp_connect">(),
      host_function<&udp_receive, m, "udp_receive">(),
      host_function<&udp_receive_from, m, "udp_receive_from">(),
      host_function<&udp_send_to, m, "udp_send_to">(),
      host_function<&udp_send, m, "udp_send">(),
      host_function<&set_udp_socket_broadcast, m, "set_udp_socket_broadcast">(),
      host_function<&get_udp_socket_broadcast, m, "get_udp_socket_broadcast">(),
      host_function<&set_udp_socket_ttl, m, "set_udp_socket_ttl">(),
      host_function<&get_udp_socket_ttl, m, "get_udp_socket_ttl">(),
  };
}

}  // namespace lunatic::host
