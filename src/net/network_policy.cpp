#include "net/network_policy.hpp"

#include <netinet/in.h>

#include <cstring>

namespace lunatic::net {
namespace {

// The address as (family, bytes), with IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) seen as the
// IPv4 address they reach, so a rule cannot be bypassed through an IPv6 socket.
int canonical(const SocketAddress& address, std::uint8_t out[16]) {
  if (address.family() == AF_INET) {
    std::memcpy(out, &reinterpret_cast<const sockaddr_in*>(&address.storage)->sin_addr, 4);
    return AF_INET;
  }
  const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&address.storage);
  if (IN6_IS_ADDR_V4MAPPED(&v6->sin6_addr)) {
    std::memcpy(out, v6->sin6_addr.s6_addr + 12, 4);
    return AF_INET;
  }
  std::memcpy(out, v6->sin6_addr.s6_addr, 16);
  return AF_INET6;
}

bool prefix_matches(const std::uint8_t* a, const std::uint8_t* b, std::uint32_t bits) {
  const std::uint32_t whole = bits / 8, rest = bits % 8;
  if (std::memcmp(a, b, whole) != 0) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<std::uint8_t>(0xFF << (8 - rest));
  return (a[whole] & mask) == (b[whole] & mask);
}

}  // namespace

void NetworkPolicy::allow_all() {
  unrestricted_ = true;
  rules_.clear();
}

void NetworkPolicy::deny_all() {
  unrestricted_ = false;
  rules_.clear();
}

void NetworkPolicy::allow(const NetworkRule& rule) {
  unrestricted_ = false;
  rules_.push_back(rule);
}

bool NetworkPolicy::permits(NetworkAccess access, const SocketAddress& address) const {
  if (unrestricted_) return true;
  std::uint8_t bytes[16];
  const int family = canonical(address, bytes);
  const std::uint16_t port = address.port();
  for (const NetworkRule& rule : rules_) {
    if (rule.access == access && rule.family == family && port >= rule.port_min &&
        port <= rule.port_max && prefix_matches(bytes, rule.address, rule.prefix_length)) {
      return true;
    }
  }
  return false;
}

bool NetworkPolicy::permits_any(NetworkAccess access) const {
  if (unrestricted_) return true;
  for (const NetworkRule& rule : rules_) {
    if (rule.access == access) return true;
  }
  return false;
}

std::string denied_text(NetworkAccess access, const SocketAddress& address) {
  return std::string("Permission denied: ") +
         (access == NetworkAccess::kBind ? "binding " : "connecting to ") + address.to_string() +
         " is not allowed by this process's config";
}

}  // namespace lunatic::net
