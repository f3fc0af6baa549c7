#include "cli/http_service.hpp"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>
#include <charconv>
#include <chrono>

#include "common/sigpipe_guard.hpp"

namespace lunatic::cli {
namespace {

struct HostPort {
  std::string host;
  int port = 0;
};

Expected<HostPort> split_address(const std::string& address) {
  const auto colon = address.rfind(':');
  const auto bad = [&] {
    return make_error(Errc::kInvalidArgument,
                      "not an address such as 127.0.0.1:9927 or [::1]:9927: " + address);
  };
  if (colon == std::string::npos || colon == 0) return bad();
  HostPort out;
  out.host = address.substr(0, colon);
  if (out.host.front() == '[') {
    if (out.host.size() < 3 || out.host.back() != ']') return bad();
    out.host = out.host.substr(1, out.host.size() - 2);
  }
  const char* first = address.data() + colon + 1;
  const char* last = address.data() + address.size();
  const auto [end, ec] = std::from_chars(first, last, out.port);
  if (ec != std::errc() || end != last || first == last || out.port < 0 || out.port > 65535) {
    return bad();
  }
  return out;
}

}  // namespace

Expected<std::unique_ptr<HttpService>> HttpService::start(
    const std::string& address, const std::string& what, unsigned threads,
    const std::function<void(httplib::Server&)>& routes) {
  auto where = split_address(address);
  if (!where) return where.error();
  std::unique_ptr<HttpService> service(new HttpService());
  auto& http = service->http_;
  http = std::make_unique<httplib::Server>();
  http->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  // httplib's default also sets SO_REUSEPORT, with which a second runtime would share a port
  // already in use instead of failing to listen.
  http->set_socket_options([](int socket) {
    const int yes = 1;
    ::setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  routes(*http);
  const int port = where->port == 0
                       ? http->bind_to_any_port(where->host)
                       : (http->bind_to_port(where->host, where->port) ? where->port : -1);
  if (port <= 0) return make_error(Errc::kIo, "cannot listen on " + address + " for " + what);
  const std::string host =
      where->host.find(':') != std::string::npos ? "[" + where->host + "]" : where->host;
  service->base_url_ = "http://" + host + ":" + std::to_string(port);
  auto ended = std::make_shared<std::atomic<bool>>(false);
  service->listener_ = std::thread([server = http.get(), ended] {
    block_sigpipe_in_this_thread();  // and in httplib's pool: it writes without MSG_NOSIGNAL
    server->listen_after_bind();
    ended->store(true);
  });
  // stop() only stops a server that runs: wait for it, so that an early destruction works.
  while (!http->is_running() && !ended->load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return service;
}

HttpService::~HttpService() {
  if (http_) http_->stop();
  if (listener_.joinable()) listener_.join();
}

}  // namespace lunatic::cli
