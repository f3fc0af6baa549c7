#include "net/socket_address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace lunatic::net {
namespace {

// SAFETY: sockaddr_storage is sized and aligned for every sockaddr type (POSIX), and callers
// look at family() first.
const sockaddr_in& as_ipv4(const sockaddr_storage& storage) {
  return reinterpret_cast<const sockaddr_in&>(storage);
}
const sockaddr_in6& as_ipv6(const sockaddr_storage& storage) {
  return reinterpret_cast<const sockaddr_in6&>(storage);
}

}  // namespace

std::uint16_t SocketAddress::port() const {
  if (family() == AF_INET) return ntohs(as_ipv4(storage).sin_port);
  if (family() == AF_INET6) return ntohs(as_ipv6(storage).sin6_port);
  return 0;
}

std::span<const std::uint8_t> SocketAddress::ip_bytes() const {
  if (family() == AF_INET)
    return {reinterpret_cast<const std::uint8_t*>(&as_ipv4(storage).sin_addr), 4};
  if (family() == AF_INET6)
    return {reinterpret_cast<const std::uint8_t*>(&as_ipv6(storage).sin6_addr), 16};
  return {};
}

std::uint32_t SocketAddress::flow_info() const {
  return family() == AF_INET6 ? ntohl(as_ipv6(storage).sin6_flowinfo) : 0;
}

std::uint32_t SocketAddress::scope_id() const {
  return family() == AF_INET6 ? as_ipv6(storage).sin6_scope_id : 0;
}

std::string SocketAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = "?";
  if (family() == AF_INET) {
    ::inet_ntop(AF_INET, &as_ipv4(storage).sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(port());
  }
  if (family() == AF_INET6) {
    ::inet_ntop(AF_INET6, &as_ipv6(storage).sin6_addr, text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(port());
  }
  return "(not an IP address)";
}

SocketAddress SocketAddress::ipv4(std::span<const std::uint8_t, 4> bytes, std::uint16_t port) {
  SocketAddress out;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
  v4->sin_family = AF_INET;
  v4->sin_port = htons(port);
  std::memcpy(&v4->sin_addr, bytes.data(), bytes.size());
  out.length = sizeof *v4;
  return out;
}

SocketAddress SocketAddress::ipv6(std::span<const std::uint8_t, 16> bytes, std::uint16_t port,
                                  std::uint32_t flow_info, std::uint32_t scope_id) {
  SocketAddress out;
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
  v6->sin6_family = AF_INET6;
  v6->sin6_port = htons(port);
  v6->sin6_flowinfo = htonl(flow_info);
  v6->sin6_scope_id = scope_id;
  std::memcpy(&v6->sin6_addr, bytes.data(), bytes.size());
  out.length = sizeof *v6;
  return out;
}

SocketAddress SocketAddress::from(const sockaddr* address, socklen_t length) {
  SocketAddress out;
  out.length = std::min<socklen_t>(length, sizeof out.storage);
  std::memcpy(&out.storage, address, out.length);
  return out;
}

}  // namespace lunatic::net
