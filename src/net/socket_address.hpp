// IPv4 and IPv6 socket addresses as the OS takes them (sockaddr_in, sockaddr_in6), made from
// the parts lunatic::networking passes: 4 or 16 address bytes, a port, and for IPv6 the flow
// info and scope id.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <span>
#include <string>

namespace lunatic::net {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
  std::uint16_t port() const;
  // The address bytes in network order: 4 for IPv4, 16 for IPv6, none otherwise.
  std::span<const std::uint8_t> ip_bytes() const;
  // IPv6 only (0 otherwise), in host order.
  std::uint32_t flow_info() const;
  std::uint32_t scope_id() const;
  // "127.0.0.1:80", "[::1]:80"
  std::string to_string() const;

  static SocketAddress ipv4(std::span<const std::uint8_t, 4> bytes, std::uint16_t port);
  static SocketAddress ipv6(std::span<const std::uint8_t, 16> bytes, std::uint16_t port,
                            std::uint32_t flow_info, std::uint32_t scope_id);
  static SocketAddress from(const sockaddr* address, socklen_t length);
};

}  // namespace lunatic::net
