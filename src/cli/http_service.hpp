// An HTTP server of the runtime's own (the Prometheus endpoint, the dashboard): bound before any
// guest runs, so that an address it cannot use is an error at once, then served on threads of
// its own until destroyed.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "common/error.hpp"

namespace httplib {
class Server;
}

namespace lunatic::cli {

class HttpService {
 public:
  // Listens on `address` ("host:port", "[ipv6]:port"; port 0: any free one) with the routes
  // `routes` adds, on `threads` threads. `what` names the service in errors.
  static Expected<std::unique_ptr<HttpService>> start(
      const std::string& address, const std::string& what, unsigned threads,
      const std::function<void(httplib::Server&)>& routes);
  ~HttpService();  // stops serving; requests under way end first
  HttpService(const HttpService&) = delete;
  HttpService& operator=(const HttpService&) = delete;

  // "http://host:port", with the port the OS chose for port 0.
  const std::string& base_url() const { return base_url_; }

 private:
  HttpService() = default;

  std::unique_ptr<httplib::Server> http_;
  std::thread listener_;
  std::string base_url_;
};

}  // namespace lunatic::cli
