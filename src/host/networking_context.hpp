// What the lunatic::networking host functions take from the calling process: its sockets by id
// (a missing id traps, as in Lunatic), the reactor and blocking its sockets wait with, and what
// its config lets it reach; and the operations that need several of these (bind, accept,
// resolve).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "host/guest_abi.hpp"
#include "host/host_context.hpp"
#include "net/dns_resolver.hpp"
#include "net/network_policy.hpp"
#include "net/resources.hpp"
#include "net/socket.hpp"
#include "runtime/blocking.hpp"
#include "runtime/reactor.hpp"

namespace lunatic::host {

runtime::Reactor& reactor_of(HostContext& context);
runtime::Blocking& blocking_of(HostContext& context);

// Traps "<what> id N does not exist", as Lunatic does for an id the process does not hold.
[[noreturn]] void fail_unknown_id(const char* what, std::uint64_t id);

// The resource `id` of a table. Traps (fail_unknown_id) when there is none.
template <class T>
T& resource_of(ResourceTable<T>& table, std::uint64_t id, const char* what) {
  T* resource = table.get(id);
  if (resource == nullptr) fail_unknown_id(what, id);
  return *resource;
}
template <class T>
void drop_resource(ResourceTable<T>& table, std::uint64_t id, const char* what) {
  if (!table.remove(id)) fail_unknown_id(what, id);
}

inline std::shared_ptr<net::TcpStream> tcp_stream_of(HostContext& context, std::uint64_t id) {
  return resource_of(context.tcp_streams, id, "tcp stream");
}
inline std::shared_ptr<net::UdpSocket> udp_socket_of(HostContext& context, std::uint64_t id) {
  return resource_of(context.udp_sockets, id, "udp socket");
}

// Whether the process's config lets it connect to or bind `address` (net/network_policy.hpp).
bool network_permits(HostContext& context, net::NetworkAccess access,
                     const net::SocketAddress& address);
// The same, storing the refusal ("... is not allowed by this process's config") as an error id
// at `error_ptr` when it does not.
bool check_network_access(HostContext& context, net::NetworkAccess access,
                          const net::SocketAddress& address, std::uint32_t error_ptr);

// A socket bound to `address` by `bind` (net::tcp_listen, net::udp_bind) once the process's
// config allows it; nullptr with an error id stored at id_ptr otherwise.
using BindSocket = net::OsResult<std::shared_ptr<net::Socket>> (*)(runtime::Reactor&,
                                                                   const net::SocketAddress&);
std::shared_ptr<net::Socket> bound_socket(HostContext& context, const net::SocketAddress& address,
                                          BindSocket bind, std::uint32_t id_ptr);

// Waits for a connection on `listening` (net::tcp_accept): the new socket, with a DNS iterator
// of the peer's address stored at peer_ptr; nullptr with an error id at id_ptr (and 0 at
// peer_ptr).
std::shared_ptr<net::Socket> accept_socket(HostContext& context, net::Socket& listening,
                                           std::uint32_t id_ptr, std::uint32_t peer_ptr);

// Resolves `host` with `port` (net::resolve) once the process's config allows it to connect
// anywhere: a lookup is network traffic.
net::Resolved resolve_waiting(HostContext& context, const std::string& host,
                              const std::string& port,
                              std::optional<runtime::Clock::time_point> deadline);

}  // namespace lunatic::host
