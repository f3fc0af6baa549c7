// Socket addresses through guest memory as lunatic::networking passes them: read from the
// address arguments, written out as resolve_next returns them, and a trap for a bad type or
// pointer.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "host/host_function.hpp"
#include "host/networking_guest_address.hpp"

namespace lunatic::host {
namespace {

TEST(HostNetworkingGuestAddress, GuestAddressesOfBothFamiliesAndBadOnesTrap) {
  std::vector<std::uint8_t> memory(64, 0);
  engine::GuestMemory guest(memory.data(), memory.size());
  const std::uint8_t v4[4] = {10, 1, 2, 3};
  std::memcpy(memory.data(), v4, 4);
  const net::SocketAddress a = guest_socket_address(guest, 4, 0, 8080, 0, 0);
  EXPECT_EQ(a.to_string(), "10.1.2.3:8080");
  memory[31] = 1;  // ::1 at offset 16
  const net::SocketAddress b = guest_socket_address(guest, 6, 16, 443, 7, 2);
  EXPECT_EQ(b.to_string(), "[::1]:443");
  EXPECT_THROW(guest_socket_address(guest, 5, 0, 1, 0, 0), CallRefused);
  EXPECT_THROW(guest_socket_address(guest, 6, 60, 1, 0, 0),
               CallRefused);  // past the end
  // And back out as resolve_next writes it.
  store_socket_address(guest, b, 40, 44, 60, 0, 0);  // flow info and scope id overlap type: fine
  EXPECT_THROW(store_socket_address(guest, b, 0, 62, 0, 0, 0), CallRefused);
}

TEST(HostNetworkingGuestAddress, AnAddressWrittenOutReadsBackTheSame) {
  std::vector<std::uint8_t> memory(64, 0);
  engine::GuestMemory guest(memory.data(), memory.size());
  std::uint8_t v6[16] = {0x20, 0x01, 0x0d, 0xb8};
  v6[15] = 9;
  const auto written = net::SocketAddress::ipv6(v6, 8443, 5, 3);
  store_socket_address(guest, written, 0, 4, 20, 24, 28);
  EXPECT_EQ(guest.load<std::uint32_t>(0), 6u);
  EXPECT_EQ(guest.load<std::uint16_t>(20), 8443);
  const auto read =
      guest_socket_address(guest, guest.load<std::uint32_t>(0), 4, guest.load<std::uint16_t>(20),
                           guest.load<std::uint32_t>(24), guest.load<std::uint32_t>(28));
  EXPECT_EQ(read.to_string(), "[2001:db8::9]:8443");
  EXPECT_EQ(read.flow_info(), 5u);
  EXPECT_EQ(read.scope_id(), 3u);
}

}  // namespace
}  // namespace lunatic::host
