// Which requests the dashboard answers. It has no login: bound to loopback, it is meant for
// whoever can reach that. Two things a web page in the operator's own browser could otherwise do:
// - DNS rebinding: a site whose name resolves to 127.0.0.1 reads the dashboard as its own
//   origin. Its requests carry its name in Host, so on loopback only loopback names are answered.
// - Cross-site requests: any page can make the browser POST to 127.0.0.1. A kill must carry the
//   header kKillHeader, which no other origin may send without a CORS preflight that is never
//   granted, and an Origin, if any, must be the dashboard's own.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lunatic::cli {

inline constexpr std::string_view kKillHeader = "X-Lunatic-Dashboard";

struct DashboardRequest {
  std::string_view method;  // "GET", "POST", ...
  std::string_view host;    // the Host header ("" when absent)
  std::string_view origin;  // the Origin header ("" when absent)
  bool has_kill_header = false;
};

// Whether `address` ("host:port") is a loopback address or name.
bool is_loopback_address(std::string_view address);

// Why `request` is refused, or nullopt when it may be answered. `loopback`: the dashboard is
// bound to a loopback address.
std::optional<std::string> refuse_dashboard_request(const DashboardRequest& request, bool loopback);

}  // namespace lunatic::cli
