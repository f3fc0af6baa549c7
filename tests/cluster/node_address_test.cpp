// Node addresses as membership records them (cluster/node_address.hpp).
#include "cluster/node_address.hpp"

#include <gtest/gtest.h>

namespace lunatic::cluster {
namespace {

TEST(NodeAddress, AnIpv4OrBracketedIpv6AddressWithAPortParses) {
  auto v4 = parse_node_address("127.0.0.1:7000");
  ASSERT_TRUE(v4) << v4.error().message;
  EXPECT_EQ(v4->to_string(), "127.0.0.1:7000");
  auto v6 = parse_node_address("[::1]:0");
  ASSERT_TRUE(v6) << v6.error().message;
  EXPECT_EQ(v6->to_string(), "[::1]:0");
}

TEST(NodeAddress, NamesMissingPortsAndBadPortsAreRefused) {
  for (const char* text : {"localhost:7000", "127.0.0.1", "127.0.0.1:", "127.0.0.1:70000",
                           "127.0.0.1:7x", "::1:7000", "[127.0.0.1]:7000", ""}) {
    auto parsed = parse_node_address(text);
    EXPECT_FALSE(parsed) << text;
    if (!parsed) {
      EXPECT_NE(parsed.error().message.find("not a node address"), std::string::npos);
    }
  }
}

}  // namespace
}  // namespace lunatic::cluster
