// Socket addresses built from their parts and taken apart again, for both families.
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "net/socket_address.hpp"

namespace lunatic::net {
namespace {

TEST(NetSocketAddress, AddressesOfBothFamiliesGiveBackTheirParts) {
  const std::uint8_t v4[4] = {10, 1, 2, 3};
  const SocketAddress a = SocketAddress::ipv4(v4, 8080);
  EXPECT_EQ(a.to_string(), "10.1.2.3:8080");
  EXPECT_EQ(a.port(), 8080);
  EXPECT_EQ(std::vector<std::uint8_t>(a.ip_bytes().begin(), a.ip_bytes().end()),
            std::vector<std::uint8_t>(v4, v4 + 4));
  EXPECT_EQ(a.flow_info(), 0u);
  std::uint8_t v6[16] = {};
  v6[15] = 1;
  const SocketAddress b = SocketAddress::ipv6(v6, 443, 7, 2);
  EXPECT_EQ(b.to_string(), "[::1]:443");
  EXPECT_EQ(b.ip_bytes().size(), 16u);
  EXPECT_EQ(b.ip_bytes()[15], 1);
  EXPECT_EQ(b.flow_info(), 7u);
  EXPECT_EQ(b.scope_id(), 2u);
  EXPECT_EQ(SocketAddress::from(b.get(), b.length).to_string(), "[::1]:443");
}

}  // namespace
}  // namespace lunatic::net
