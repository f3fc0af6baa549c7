// Network permission rules: CIDR prefixes, port ranges, IPv4-mapped IPv6 and allow/deny-all.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>

#include "net/network_policy.hpp"
#include "net/socket_address.hpp"

namespace lunatic::net {
namespace {

SocketAddress ip(const char* text, std::uint16_t port) {
  SocketAddress a;
  if (std::strchr(text, ':') == nullptr) {
    auto* v4 = reinterpret_cast<sockaddr_in*>(&a.storage);
    v4->sin_family = AF_INET;
    v4->sin_port = htons(port);
    inet_pton(AF_INET, text, &v4->sin_addr);
    a.length = sizeof *v4;
  } else {
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(port);
    inet_pton(AF_INET6, text, &v6->sin6_addr);
    a.length = sizeof *v6;
  }
  return a;
}

NetworkRule rule(NetworkAccess access, const char* cidr_ip, std::uint32_t prefix, std::uint16_t lo,
                 std::uint16_t hi) {
  NetworkRule r;
  r.access = access;
  const bool v6 = std::strchr(cidr_ip, ':') != nullptr;
  r.family = v6 ? AF_INET6 : AF_INET;
  inet_pton(r.family, cidr_ip, r.address);
  r.prefix_length = prefix;
  r.port_min = lo;
  r.port_max = hi;
  return r;
}

TEST(NetNetworkPolicy, UnrestrictedUntilRestrictedThenOnlyWhatRulesAllow) {
  NetworkPolicy policy;
  EXPECT_TRUE(policy.permits(NetworkAccess::kConnect, ip("203.0.113.5", 1)));
  policy.deny_all();
  EXPECT_FALSE(policy.permits(NetworkAccess::kConnect, ip("127.0.0.1", 80)));
  policy.allow(rule(NetworkAccess::kConnect, "10.0.0.0", 8, 80, 89));
  EXPECT_TRUE(policy.permits(NetworkAccess::kConnect, ip("10.255.1.2", 80)));
  EXPECT_TRUE(policy.permits(NetworkAccess::kConnect, ip("10.0.0.1", 89)));
  EXPECT_FALSE(policy.permits(NetworkAccess::kConnect, ip("10.0.0.1", 90)));  // port outside
  EXPECT_FALSE(policy.permits(NetworkAccess::kConnect, ip("11.0.0.1", 80)));  // address outside
  EXPECT_FALSE(policy.permits(NetworkAccess::kBind, ip("10.0.0.1", 80)));     // connect only
  EXPECT_TRUE(
      policy.permits(NetworkAccess::kConnect, ip("::ffff:10.0.0.1", 80)));  // mapped: as IPv4
  EXPECT_FALSE(policy.permits(NetworkAccess::kConnect, ip("::ffff:11.0.0.1", 80)));
  policy.allow(rule(NetworkAccess::kBind, "2001:db8::", 33, 0, 65535));
  EXPECT_TRUE(policy.permits(NetworkAccess::kBind, ip("2001:db8:7fff::1", 5)));   // bit 33 is 0
  EXPECT_FALSE(policy.permits(NetworkAccess::kBind, ip("2001:db8:8000::1", 5)));  // bit 33 is 1
  policy.allow_all();
  EXPECT_TRUE(policy.permits(NetworkAccess::kBind, ip("192.0.2.1", 1)));
}

}  // namespace
}  // namespace lunatic::net
