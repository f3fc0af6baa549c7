#include "cluster/node_address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <string>

namespace lunatic::cluster {

Expected<net::SocketAddress> parse_node_address(std::string_view text) {
  const auto invalid = [&] {
    return make_error(Errc::kInvalidArgument,
                      "\"" + std::string(text) + "\" is not a node address (ip:port, [ipv6]:port)");
  };
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) return invalid();
  std::string_view host = text.substr(0, colon);
  const std::string_view port_text = text.substr(colon + 1);
  unsigned port = 0;
  const auto [end, parsed] =
      std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (parsed != std::errc() || end != port_text.data() + port_text.size() || port > 65535 ||
      port_text.empty()) {
    return invalid();
  }
  const bool bracketed = host.size() >= 2 && host.front() == '[' && host.back() == ']';
  if (bracketed) host = host.substr(1, host.size() - 2);
  const std::string host_text(host);
  std::uint8_t bytes[16];
  if (!bracketed && ::inet_pton(AF_INET, host_text.c_str(), bytes) == 1) {
    return net::SocketAddress::ipv4(std::span<const std::uint8_t, 4>(bytes, 4),
                                    static_cast<std::uint16_t>(port));
  }
  if (bracketed && ::inet_pton(AF_INET6, host_text.c_str(), bytes) == 1) {
    return net::SocketAddress::ipv6(bytes, static_cast<std::uint16_t>(port), 0, 0);
  }
  return invalid();
}

}  // namespace lunatic::cluster
