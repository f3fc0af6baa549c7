// What the lunatic::networking host functions share: finding a process's socket resources by
// id (a missing id traps, as in Lunatic), reporting an OS error through lunatic::error, turning
// a guest timeout into a deadline, and handing out addresses as DNS iterators.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "host/guest_abi.hpp"
#include "host/host_context.hpp"
#include "host/return_codes.hpp"
#include "net/resources.hpp"
#include "runtime/blocking.hpp"
#include "runtime/reactor.hpp"

namespace lunatic::host {


runtime::Reactor& reactor_of(HostContext& context);
runtime::Blocking& blocking_of(HostContext& context);

// The resource `id` of a table; traps "<what> id N does not exist".
template <class T>
T& resource_of(ResourceTable<T>& table, std::uint64_t id, const char* what) {
  T* resource = table.get(id);
  if (resource == nullptr) fail(std::string(what) + " id " + std::to_string(id) + " does not exist");
  return *resource;
}
template <class T>
void drop_resource(ResourceTable<T>& table, std::uint64_t id, const char* what) {
  if (!table.remove(id)) fail(std::string(what) + " id " + std::to_string(id) + " does not exist");
}

inline std::shared_ptr<net::TcpStream> tcp_stream_of(HostContext& context, std::uint64_t id) {
  return resource_of(context.tcp_streams, id, "tcp stream");
}
inline std::shared_ptr<net::UdpSocket> udp_socket_of(HostContext& context, std::uint64_t id) {
  return resource_of(context.udp_sockets, id, "udp socket");
}

// A socket of `type` bound to `address` (and listening, for SOCK_STREAM) once the config allows
// it; nullptr with an error id stored at id_ptr otherwise.
std::shared_ptr<net::Socket> bound_socket(HostContext& context, const net::SocketAddress& address, int type,
                                          std::uint32_t id_ptr);

// Waits for a connection on `listening`: the new socket, with a DNS iterator of the peer's
// address stored at peer_ptr; nullptr with an error id at id_ptr (and 0 at peer_ptr).
std::shared_ptr<net::Socket> accept_socket(HostContext& context, net::Socket& listening, std::uint32_t id_ptr,
                                           std::uint32_t peer_ptr);

// Whether the process's config lets it connect to or bind `address` (net/network_policy.hpp).
bool network_permits(HostContext& context, net::NetworkAccess access, const net::SocketAddress& address);

// Stores an error id for `error_text` at `ptr`; returns kFailed.
std::uint32_t store_net_error(HostContext& context, std::uint32_t ptr, std::string error_text);

// The outcome of a socket operation as Lunatic returns it: 0 with the count at `opaque_ptr`,
// 1 with an error id there, or 9027 on timeout (nothing written).
std::uint32_t store_io_result(HostContext& context, const net::IoResult& result, std::uint32_t opaque_ptr);

// Resolves `host` with `port` on the resolver threads while the caller waits (its worker runs
// others). nullopt when the deadline passed first; an empty list with `error` set on failure.
std::optional<std::vector<net::SocketAddress>> resolve_waiting(HostContext& context, const std::string& host,
                                                               const std::string& port,
                                                               std::optional<runtime::Clock::time_point> deadline,
                                                               std::string& error);

// The guest's bytes [ptr, ptr + len). Traps "buffer out of bounds".
std::span<std::uint8_t> guest_buffer(HostContext& context, std::uint32_t ptr, std::uint32_t len);

// The guest's (ptr u32, len u32) array at `iovecs_ptr` as spans of guest memory, as
// read_guest_iovecs reads it (its first kMaxGuestIovecs non-empty buffers). Traps when the
// array or one of those buffers is outside memory.
std::vector<std::span<std::uint8_t>> guest_iovecs(HostContext& context, std::uint32_t iovecs_ptr,
                                                  std::uint32_t iovecs_len);

// A new DNS iterator holding just `address`; returns its id.
std::uint64_t add_address_iterator(HostContext& context, const net::SocketAddress& address);

// The local (getsockname) or peer (getpeername) address of a socket as a DNS iterator id at
// `id_ptr` (0), or an error id there (1).
std::uint32_t store_socket_name(HostContext& context, int fd, bool peer, std::uint32_t id_ptr);

}  // namespace lunatic::host
