#include "cli/prometheus_endpoint.hpp"

#include <httplib.h>

namespace lunatic::cli {

Expected<std::unique_ptr<PrometheusEndpoint>> PrometheusEndpoint::start(
    const std::string& address, std::function<std::string()> render) {
  auto http = HttpService::start(
      address, "Prometheus", 2, [render = std::move(render)](httplib::Server& server) {
        server.Get("/metrics", [render](const httplib::Request&, httplib::Response& res) {
          res.set_content(render(), "text/plain; version=0.0.4; charset=utf-8");
        });
      });
  if (!http) return http.error();
  std::unique_ptr<PrometheusEndpoint> endpoint(new PrometheusEndpoint());
  endpoint->http_ = std::move(*http);
  endpoint->url_ = endpoint->http_->base_url() + "/metrics";
  return endpoint;
}

}  // namespace lunatic::cli
