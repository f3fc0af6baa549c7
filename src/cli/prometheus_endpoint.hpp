// `--prometheus` / `--prometheus-http ADDR` of `run` and `node`: an HTTP server on its own
// threads that answers GET /metrics with the text exposition of the guests' metrics
// (docs/observability.md). Loopback unless an address is given; Lunatic's port, 9927, by
// default.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "cli/http_service.hpp"
#include "common/error.hpp"

namespace lunatic::cli {

inline constexpr const char* kDefaultPrometheusAddress = "127.0.0.1:9927";

class PrometheusEndpoint {
 public:
  // Listens on `address` ("host:port", "[ipv6]:port"; port 0: any free one) and serves `render`'s
  // text, called on the server's thread for each scrape.
  static Expected<std::unique_ptr<PrometheusEndpoint>> start(const std::string& address,
                                                             std::function<std::string()> render);

  // "http://host:port/metrics", with the port the OS chose for port 0.
  const std::string& url() const { return url_; }

 private:
  PrometheusEndpoint() = default;

  std::unique_ptr<HttpService> http_;
  std::string url_;
};

}  // namespace lunatic::cli
