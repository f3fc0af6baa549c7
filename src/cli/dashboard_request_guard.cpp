#include "cli/dashboard_request_guard.hpp"

namespace lunatic::cli {
namespace {

// "host:port", "[v6]:port" or a bare host: the host part.
std::string_view host_part(std::string_view address) {
  if (address.starts_with('[')) {
    const auto close = address.find(']');
    return close == std::string_view::npos ? address : address.substr(0, close + 1);
  }
  const auto colon = address.rfind(':');
  return colon == std::string_view::npos ? address : address.substr(0, colon);
}

}  // namespace

bool is_loopback_address(std::string_view address) {
  const std::string_view host = host_part(address);
  return host == "localhost" || host == "[::1]" || host.starts_with("127.");
}

std::optional<std::string> refuse_dashboard_request(const DashboardRequest& request,
                                                    bool loopback) {
  if (loopback && !is_loopback_address(request.host)) {
    return "Host \"" + std::string(request.host) +
           "\" is not a loopback name, and this dashboard serves only loopback";
  }
  if (request.method == "GET" || request.method == "HEAD") return std::nullopt;
  if (!request.has_kill_header) {
    return "a change needs the " + std::string(kKillHeader) +
           " header (the dashboard's page sends it)";
  }
  if (!request.origin.empty() && request.origin != "http://" + std::string(request.host)) {
    return "Origin \"" + std::string(request.origin) + "\" is not this dashboard";
  }
  return std::nullopt;
}

}  // namespace lunatic::cli
