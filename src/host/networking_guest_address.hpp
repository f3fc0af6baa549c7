// Socket addresses as lunatic::networking passes them through guest memory: an address type (4
// or 6), 4 or 16 address bytes at a pointer, a port, and for IPv6 the flow info and scope id.
#pragma once

#include <cstdint>

#include "engine/memory/guest_memory.hpp"
#include "net/socket_address.hpp"

namespace lunatic::host {

// The guest's address arguments, as a host address. Traps when the type is
// neither 4 nor 6 or the address bytes are outside guest memory (Lunatic traps on both).
net::SocketAddress guest_socket_address(const engine::GuestMemory& memory, std::uint32_t type,
                                        std::uint32_t address_ptr, std::uint32_t port,
                                        std::uint32_t flow_info, std::uint32_t scope_id);

// Writes an address the way resolve_next returns it: the type (u32) at type_ptr, 4 or 16 bytes
// at address_ptr, the port (u16) at port_ptr, and for IPv6 the flow info and scope id (u32).
// Traps when any of them is outside guest memory (those before it are written).
void store_socket_address(const engine::GuestMemory& memory, const net::SocketAddress& address,
                          std::uint32_t type_ptr, std::uint32_t address_ptr, std::uint32_t port_ptr,
                          std::uint32_t flow_info_ptr, std::uint32_t scope_id_ptr);

}  // namespace lunatic::host
