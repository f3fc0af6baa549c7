// Which addresses a process may connect to and bind: a config's network permission, beyond
// Lunatic (whose configs allow everything; so does a policy here until it is restricted).
// Restricted, it denies everything except what its rules allow: an address range (CIDR) and a
// port range, for connecting (tcp_connect, tls_connect, udp_connect, udp_send_to) or binding
// (tcp_bind, tls_bind, udp_bind).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "net/socket_address.hpp"

namespace lunatic::net {

enum class NetworkAccess : std::uint32_t { kConnect = 0, kBind = 1 };

struct NetworkRule {
  NetworkAccess access = NetworkAccess::kConnect;
  int family = 0;  // AF_INET or AF_INET6
  std::uint8_t address[16] = {};
  std::uint32_t prefix_length = 0;  // bits of `address` that must match
  std::uint16_t port_min = 0;
  std::uint16_t port_max = 65535;
};

class NetworkPolicy {
 public:
  bool unrestricted() const { return unrestricted_; }
  // Everything allowed (Lunatic's behaviour), or nothing until rules are added.
  void allow_all();
  void deny_all();
  // Restricts the policy if it was not, and allows what the rule names.
  void allow(const NetworkRule& rule);
  bool permits(NetworkAccess access, const SocketAddress& address) const;
  // Whether any address at all may be reached for `access` (name lookups need one to connect).
  bool permits_any(NetworkAccess access) const;
  // What a restricted policy allows (a config sent to another node carries them).
  const std::vector<NetworkRule>& rules() const { return rules_; }

 private:
  bool unrestricted_ = true;
  std::vector<NetworkRule> rules_;
};

// "connecting to 10.0.0.1:80 is not allowed by this process's config" (Permission denied).
std::string denied_text(NetworkAccess access, const SocketAddress& address);

}  // namespace lunatic::net
