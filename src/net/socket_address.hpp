// IPv4 and IPv6 socket addresses as lunatic::networking passes them: an address type (4 or 6),
// 4 or 16 address bytes in guest memory, a port, and for IPv6 the flow info and scope id.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdint>
#include <string>

#include "engine/memory/guest_memory.hpp"

namespace lunatic::net {

struct SocketAddress {
  sockaddr_storage storage{};
  socklen_t length = 0;

  const sockaddr* get() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* get() { return reinterpret_cast<sockaddr*>(&storage); }
  int family() const { return storage.ss_family; }
  std::uint16_t port() const;
  // "127.0.0.1:80", "[::1]:80"
  std::string to_string() const;

  static SocketAddress from(const sockaddr* address, socklen_t length);
};

// The guest's address arguments, as a host address. Throws GuestTrap when the type is neither
// 4 nor 6 or the address bytes are outside guest memory (Lunatic traps on both).
SocketAddress guest_socket_address(const engine::GuestMemory& memory, std::uint32_t type,
                                   std::uint32_t address_ptr, std::uint32_t port,
                                   std::uint32_t flow_info, std::uint32_t scope_id,
                                   const char* where);

// Writes an address the way resolve_next returns it: the type (u32) at type_ptr, 4 or 16 bytes
// at address_ptr, the port (u16) at port_ptr, and for IPv6 the flow info and scope id (u32).
// Throws GuestTrap when any of them is outside guest memory.
void store_socket_address(const engine::GuestMemory& memory, const SocketAddress& address,
                          std::uint32_t type_ptr, std::uint32_t address_ptr,
                          std::uint32_t port_ptr, std::uint32_t flow_info_ptr,
                          std::uint32_t scope_id_ptr, const char* where);

}  // namespace lunatic::net
