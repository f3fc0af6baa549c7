// What a process holds of lunatic::networking, by id in its resource tables (HostContext).
// Streams and UDP sockets are shared: clone_* and sending one in a message give another
// process (or id) the same connection, and the socket closes when the last holder drops it or
// dies.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "net/socket.hpp"
#include "net/socket_address.hpp"

namespace lunatic::net {

inline constexpr std::uint64_t kNoTimeout = UINT64_MAX;

struct TcpListener {
  std::shared_ptr<Socket> socket;
};

struct TcpStream {
  explicit TcpStream(std::shared_ptr<Socket> s) : socket(std::move(s)) {}
  std::shared_ptr<Socket> socket;
  // Milliseconds, kNoTimeout for none; shared by every clone, as in Lunatic.
  std::atomic<std::uint64_t> read_timeout_ms{kNoTimeout};
  std::atomic<std::uint64_t> write_timeout_ms{kNoTimeout};
  std::atomic<std::uint64_t> peek_timeout_ms{kNoTimeout};
};

struct UdpSocket {
  explicit UdpSocket(std::shared_ptr<Socket> s) : socket(std::move(s)) {}
  std::shared_ptr<Socket> socket;
};

// Addresses handed out one at a time (resolve, and every "address of" function).
struct DnsIterator {
  std::vector<SocketAddress> addresses;
  std::size_t next = 0;
};

}  // namespace lunatic::net
