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
#include "net/dns_resolver.hpp"
#include "net/network_policy.hpp"
#include "net/resources.hpp"
#include "net/socket.hpp"
#include "runtime/blocking.hpp"
#include "runtime/reactor.hpp"

namespace lunatic::host {

inline constexpr std::uint32_t kNetOk = 0;
inline constexpr std::uint32_t kNetError = 1;
inline constexpr std::uint32_t kNetTimedOut = 9027;

runtime::Reactor& reactor_of(HostContext& context);
runtime::Blocking& blocking_of(HostContext& context);

// The resource `id` of a table; traps "lunatic::networking::<where>: <what> id N does not exist".
template <class T>
T& resource_of(ResourceTable<T>& table, std::uint64_t id, const char* what, const char* where) {
  T* resource = table.get(id);
  if (resource == nullptr) fail("lunatic::networking::" + std::string(where) + ": " + what + " id " + std::to_string(id) + " does not exist");
  return *resource;
}
template <class T>
void drop_resource(ResourceTable<T>& table, std::uint64_t id, const char* what, const char* where) {
  if (!table.remove(id)) fail("lunatic::networking::" + std::string(where) + ": " + what + " id " + std::to_string(id) + " does not exist");
}

inline std::shared_ptr<net::TcpStream> tcp_stream_of(HostContext& context, std::uint64_t id, const char* where) {
  return resource_of(context.tcp_streams, id, "tcp stream", where);
}
inline std::shared_ptr<net::UdpSocket> udp_socket_of(HostContext& context, std::uint64_t id, const char* where) {
  return resource_of(context.udp_sockets, id, "udp socket", where);
}

// Waits for a connection on `listening`: the new socket, with a DNS iterator of the peer's
// address stored at peer_ptr; nullptr with an error id at id_ptr (and 0 at peer_ptr).
std::shared_ptr<net::Socket> accept_socket(HostContext& context, net::Socket& listening, std::uint32_t id_ptr,
                                           std::uint32_t peer_ptr, const char* where);

// Whether the process's config lets it connect to or bind `address` (net/network_policy.hpp).
bool network_permits(HostContext& context, net::NetworkAccess access, const net::SocketAddress& address);
// The same, storing the refusal ("... is not allowed by this process's config") as an error id
// at `error_ptr` when it does not.
bool check_network_access(HostContext& context, net::NetworkAccess access,
                          const net::SocketAddress& address, std::uint32_t error_ptr,
                          const char* where);

// Stores an error id for `error_text` at `ptr`; returns kNetError.
std::uint32_t store_net_error(HostContext& context, std::uint32_t ptr, std::string error_text, const char* where);
// Stores an error id for the OS error `error` (os_error_text) at `ptr`; returns kNetError.
std::uint32_t store_os_error(HostContext& context, std::uint32_t ptr, int error, const char* where);

// The outcome of a socket operation as Lunatic returns it: 0 with the count at `opaque_ptr`,
// 1 with an error id there, or 9027 on timeout (nothing written).
std::uint32_t store_io_result(HostContext& context, const net::IoResult& result, std::uint32_t opaque_ptr,
                              const char* where);

// Resolves `host` with `port` (net::resolve) once the process's config allows it to connect
// anywhere: a lookup is network traffic.
net::Resolved resolve_waiting(HostContext& context, const std::string& host,
                              const std::string& port,
                              std::optional<runtime::Clock::time_point> deadline);

// The guest's bytes [ptr, ptr + len). Traps "lunatic::networking::<where>: buffer out of bounds".
std::span<std::uint8_t> guest_buffer(HostContext& context, std::uint32_t ptr, std::uint32_t len, const char* where);

// The guest's (ptr u32, len u32) array at `iovecs_ptr` as spans of guest memory to read. Traps
// when the array or any buffer is outside memory.
std::vector<std::span<const std::uint8_t>> guest_iovecs(HostContext& context,
                                                        std::uint32_t iovecs_ptr,
                                                        std::uint32_t iovecs_len,
                                                        const char* where);

// A new DNS iterator holding just `address`; returns its id.
std::uint64_t add_address_iterator(HostContext& context, const net::SocketAddress& address);

// A socket's local or peer address (net::local_address, net::peer_address) as a DNS iterator
// id at `id_ptr` (0), or an error id there (1).
std::uint32_t store_address_result(HostContext& context,
                                   const net::OsResult<net::SocketAddress>& address,
                                   std::uint32_t id_ptr, const char* where);

}  // namespace lunatic::host
