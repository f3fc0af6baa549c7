// "host:port" splitting, as Rust's ToSocketAddrs does it before a name is resolved.
#include <gtest/gtest.h>

#include <string>

#include "net/dns_resolver.hpp"

namespace lunatic::net {
namespace {

TEST(NetSplitHostPort, NamesIpv4AndBracketedIpv6WithAPort) {
  std::string host, port;
  ASSERT_TRUE(split_host_port("example.com:80", host, port));
  EXPECT_EQ(host, "example.com");
  EXPECT_EQ(port, "80");
  ASSERT_TRUE(split_host_port("[::1]:65535", host, port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, "65535");
  for (const char* bad : {"example.com", "example.com:", "example.com:65536", "example.com:8x",
                          "[::1]", "[::1]80", ":123456", "[::1:80"}) {
    EXPECT_FALSE(split_host_port(bad, host, port)) << bad;
  }
}

}  // namespace
}  // namespace lunatic::net
