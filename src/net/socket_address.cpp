#include "net/socket_address.hpp"

#include <arpa/inet.h>

#include <cstring>

#include "engine/execution/trap.hpp"

namespace lunatic::net {
namespace {

[[noreturn]] void trap(const char* where, const char* what) {
  throw engine::GuestTrap{engine::TrapKind::kHostError, std::string(where) + ": " + what};
}

template <class T>
void store(const engine::GuestMemory& memory, std::uint32_t ptr, const T& value, const char* where) {
  if (!memory.try_store(ptr, value)) trap(where, "pointer out of bounds");
}

}  // namespace

std::uint16_t SocketAddress::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  if (family() == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
  return 0;
}

std::string SocketAddress::to_string() const {
  char text[INET6_ADDRSTRLEN] = "?";
  if (family() == AF_INET) {
    ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, text, sizeof text);
    return std::string(text) + ":" + std::to_string(port());
  }
  if (family() == AF_INET6) {
    ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, text, sizeof text);
    return "[" + std::string(text) + "]:" + std::to_string(port());
  }
  return "(not an IP address)";
}

SocketAddress SocketAddress::from(const sockaddr* address, socklen_t length) {
  SocketAddress out;
  out.length = std::min<socklen_t>(length, sizeof out.storage);
  std::memcpy(&out.storage, address, out.length);
  return out;
}

SocketAddress guest_socket_address(const engine::GuestMemory& memory, std::uint32_t type,
                                   std::uint32_t address_ptr, std::uint32_t port,
                                   std::uint32_t flow_info, std::uint32_t scope_id,
                                   const char* where) {
  SocketAddress out;
  if (type == 4) {
    auto bytes = memory.try_bytes(address_ptr, 4);
    if (!bytes) trap(where, "address out of bounds");
    auto* v4 = reinterpret_cast<sockaddr_in*>(&out.storage);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(static_cast<std::uint16_t>(port));
    std::memcpy(&v4->sin_addr, bytes->data(), 4);
    out.length = sizeof *v4;
  } else if (type == 6) {
    auto bytes = memory.try_bytes(address_ptr, 16);
    if (!bytes) trap(where, "address out of bounds");
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.storage);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(static_cast<std::uint16_t>(port));
    v6->sin6_flowinfo = htonl(flow_info);
    v6->sin6_scope_id = scope_id;
    std::memcpy(&v6->sin6_addr, bytes->data(), 16);
    out.length = sizeof *v6;
  } else {
    trap(where, "unsupported address type (neither 4 nor 6)");
  }
  return out;
}

void store_socket_address(const engine::GuestMemory& memory, const SocketAddress& address,
                          std::uint32_t type_ptr, std::uint32_t address_ptr,
                          std::uint32_t port_ptr, std::uint32_t flow_info_ptr,
                          std::uint32_t scope_id_ptr, const char* where) {
  const auto port = address.port();
  if (address.family() == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&address.storage);
    std::uint8_t bytes[4];
    std::memcpy(bytes, &v4->sin_addr, 4);
    store(memory, type_ptr, std::uint32_t{4}, where);
    store(memory, address_ptr, bytes, where);
    store(memory, port_ptr, port, where);
  } else {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address.storage);
    std::uint8_t bytes[16];
    std::memcpy(bytes, &v6->sin6_addr, 16);
    store(memory, type_ptr, std::uint32_t{6}, where);
    store(memory, address_ptr, bytes, where);
    store(memory, port_ptr, port, where);
    store(memory, flow_info_ptr, std::uint32_t{ntohl(v6->sin6_flowinfo)}, where);
    store(memory, scope_id_ptr, std::uint32_t{v6->sin6_scope_id}, where);
  }
}

}  // namespace lunatic::net
