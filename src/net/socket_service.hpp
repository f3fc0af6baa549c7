// TCP and UDP as lunatic::networking uses them, on net::Socket: addresses, spans and deadlines
// in; sockets, counts and errnos out (os_error_text gives the guest's text). What a process may
// reach (network_policy.hpp) and its ids and guest memory are its caller's concern.
//
// Thread: the thread running the calling process. An operation that would block suspends that
// process through `blocking` until the socket is ready or the deadline (none: wait for ever)
// passes; the worker thread runs others meanwhile.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "net/socket.hpp"
#include "net/socket_address.hpp"
#include "runtime/blocking.hpp"

namespace lunatic::runtime {
class Reactor;
}

namespace lunatic::net {

using Deadline = std::optional<runtime::Clock::time_point>;

// TCP.

// A stream socket bound to `address` and listening (with SO_REUSEADDR, as Rust's TcpListener).
OsResult<std::shared_ptr<Socket>> tcp_listen(runtime::Reactor& reactor,
                                             const SocketAddress& address);

struct Accepted {
  std::shared_ptr<Socket> socket;
  SocketAddress peer;
};
// Waits, with no deadline, for a connection on `listening`.
OsResult<Accepted> tcp_accept(runtime::Reactor& reactor, runtime::Blocking& blocking,
                              Socket& listening);

// A stream socket connected to `address`; timed out when the handshake outlasts `deadline`.
OsResult<std::shared_ptr<Socket>> tcp_connect(runtime::Reactor& reactor,
                                              runtime::Blocking& blocking,
                                              const SocketAddress& address, Deadline deadline);

// Sends what the socket takes of `buffers` in one sendmsg (empty buffers skipped, at most 1024
// of the others); 0 without a system call when nothing is left. Never raises SIGPIPE.
IoResult tcp_send(runtime::Blocking& blocking, Socket& socket,
                  std::span<const std::span<const std::uint8_t>> buffers, Deadline deadline);
// Receives into `buffer` (0 bytes: the peer closed its side). A peek leaves the bytes queued.
IoResult tcp_receive(runtime::Blocking& blocking, Socket& socket, std::span<std::uint8_t> buffer,
                     Deadline deadline);
IoResult tcp_peek(runtime::Blocking& blocking, Socket& socket, std::span<std::uint8_t> buffer,
                  Deadline deadline);

// UDP. Sends and receives wait with no deadline.

// A datagram socket bound to `address`.
OsResult<std::shared_ptr<Socket>> udp_bind(runtime::Reactor& reactor, const SocketAddress& address);
// Makes `address` the peer udp_send sends to and the only one udp_receive hears from; it never
// waits. Returns: 0, or the errno.
int udp_connect(Socket& socket, const SocketAddress& address);

// One datagram of `data`, to the connected peer or to `address`. Never raises SIGPIPE.
IoResult udp_send(runtime::Blocking& blocking, Socket& socket, std::span<const std::uint8_t> data);
IoResult udp_send_to(runtime::Blocking& blocking, Socket& socket,
                     std::span<const std::uint8_t> data, const SocketAddress& address);
// One datagram, cut to `buffer`; receive_from also sets `sender` when it succeeds.
IoResult udp_receive(runtime::Blocking& blocking, Socket& socket, std::span<std::uint8_t> buffer);
IoResult udp_receive_from(runtime::Blocking& blocking, Socket& socket,
                          std::span<std::uint8_t> buffer, SocketAddress& sender);

// SO_BROADCAST, and the unicast TTL of the socket's family (IP_TTL, or IPV6_UNICAST_HOPS).
// The setters return 0 or the errno.
int udp_set_broadcast(Socket& socket, bool on);
OsResult<bool> udp_broadcast(const Socket& socket);
int udp_set_ttl(Socket& socket, std::uint32_t ttl);
OsResult<std::uint32_t> udp_ttl(const Socket& socket);

// Either kind: the address a socket is bound to, and the one it is connected to.
OsResult<SocketAddress> local_address(const Socket& socket);
OsResult<SocketAddress> peer_address(const Socket& socket);

}  // namespace lunatic::net
