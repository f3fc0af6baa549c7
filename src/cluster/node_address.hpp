// Where a node listens, as membership records it: "127.0.0.1:7000" or "[::1]:7000", numeric only
// (a node's address is what it bound, not a name to resolve on the transport's thread).
#pragma once

#include <string_view>

#include "common/error.hpp"
#include "net/socket_address.hpp"

namespace lunatic::cluster {

// Errc::kInvalidArgument, quoting the text, when it is not an IP address and a port.
Expected<net::SocketAddress> parse_node_address(std::string_view text);

}  // namespace lunatic::cluster
