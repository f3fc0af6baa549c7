#include "host/networking_guest_address.hpp"

#include <sys/socket.h>

#include <cstring>
#include <span>

#include "host/guest_abi.hpp"

namespace lunatic::host {
namespace {

template <class T>
void store(const engine::GuestMemory& memory, std::uint32_t ptr, const T& value) {
  if (!memory.try_store(ptr, value)) fail("pointer out of bounds");
}

void store_bytes(const engine::GuestMemory& memory, std::uint32_t ptr,
                 std::span<const std::uint8_t> bytes) {
  auto target = memory.try_bytes(ptr, bytes.size());
  if (!target) fail("pointer out of bounds");
  // SAFETY: try_bytes checked that the guest range holds bytes.size() bytes.
  std::memcpy(target->data(), bytes.data(), bytes.size());
}

}  // namespace

net::SocketAddress guest_socket_address(const engine::GuestMemory& memory, std::uint32_t type,
                                        std::uint32_t address_ptr, std::uint32_t port,
                                        std::uint32_t flow_info, std::uint32_t scope_id) {
  const auto guest_port = static_cast<std::uint16_t>(port);
  if (type == 4) {
    auto bytes = memory.try_bytes(address_ptr, 4);
    if (!bytes) fail("address out of bounds");
    return net::SocketAddress::ipv4(bytes->first<4>(), guest_port);
  }
  if (type == 6) {
    auto bytes = memory.try_bytes(address_ptr, 16);
    if (!bytes) fail("address out of bounds");
    return net::SocketAddress::ipv6(bytes->first<16>(), guest_port, flow_info, scope_id);
  }
  fail("unsupported address type (neither 4 nor 6)");
}

void store_socket_address(const engine::GuestMemory& memory, const net::SocketAddress& address,
                          std::uint32_t type_ptr, std::uint32_t address_ptr, std::uint32_t port_ptr,
                          std::uint32_t flow_info_ptr, std::uint32_t scope_id_ptr) {
  const bool ipv4 = address.family() == AF_INET;
  store(memory, type_ptr, std::uint32_t{ipv4 ? 4u : 6u});
  store_bytes(memory, address_ptr, address.ip_bytes());
  store(memory, port_ptr, address.port());
  if (ipv4) return;
  store(memory, flow_info_ptr, address.flow_info());
  store(memory, scope_id_ptr, address.scope_id());
}

}  // namespace lunatic::host
