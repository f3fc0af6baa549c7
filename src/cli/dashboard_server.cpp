#include "cli/dashboard_server.hpp"

#include <httplib.h>

#include <charconv>
#include <chrono>
#include <nlohmann/json.hpp>

#include "cli/dashboard_json.hpp"
#include "cli/dashboard_request_guard.hpp"
#include "host/environment.hpp"
#include "runtime/process.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::cli {

extern const char kDashboardPage[];  // generated from dashboard/dashboard.html

namespace {

// `body`: JSON text.
void send_json_text(httplib::Response& res, const std::string& body, int status = 200) {
  res.status = status;
  // The charset keeps the answer uncompressed: httplib brotli-compresses, at brotli's slowest
  // setting, the content types it lists (among them exactly "application/json") for any client
  // that accepts it, and browsers do. That took a third of a second of a core per snapshot of a
  // 1,000-process ring, each second the page was open; over loopback it saves nothing.
  res.set_content(body, "application/json; charset=utf-8");
  res.set_header("Cache-Control", "no-store");
}

void send_json(httplib::Response& res, const nlohmann::json& body, int status = 200) {
  // Guests choose registered names: bytes that are no UTF-8 are replaced, never a failure.
  send_json_text(res, body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), status);
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, {{"error", message}}, status);
}

// The process id in the path's first group, or nullopt (and a 400 sent) when it is none.
std::optional<std::uint64_t> process_id(const httplib::Request& req, httplib::Response& res) {
  const std::string text = req.matches[1];
  std::uint64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() || id == 0) {
    send_error(res, 400, "not a process id: " + text);
    return std::nullopt;
  }
  return id;
}

std::uint64_t steady_ms() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace

DashboardServer::DashboardServer(host::Environment& environment, bool allow_kill)
    : environment_(environment), allow_kill_(allow_kill), snapshotter_(environment) {}

DashboardServer::~DashboardServer() = default;

void DashboardServer::name_module(const void* module, std::string label) {
  snapshotter_.name_module(module, std::move(label));
}

Expected<std::unique_ptr<DashboardServer>> DashboardServer::start(host::Environment& environment,
                                                                  DashboardOptions options) {
  std::unique_ptr<DashboardServer> dashboard(new DashboardServer(environment, options.allow_kill));
  DashboardServer* self = dashboard.get();
  const bool loopback = is_loopback_address(options.address);
  auto routes = [self, loopback](httplib::Server& server) {
    server.set_pre_routing_handler([loopback](const httplib::Request& req, httplib::Response& res) {
      const std::string host = req.get_header_value("Host");
      const std::string origin = req.get_header_value("Origin");
      const auto refusal = refuse_dashboard_request(
          {.method = req.method,
           .host = host,
           .origin = origin,
           .has_kill_header = req.has_header(std::string(kKillHeader).c_str())},
          loopback);
      if (!refusal) return httplib::Server::HandlerResponse::Unhandled;
      send_error(res, 403, *refusal);
      return httplib::Server::HandlerResponse::Handled;
    });
    server.Get("/", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(kDashboardPage, "text/html; charset=utf-8");
    });
    server.Get("/api/snapshot", [self](const httplib::Request&, httplib::Response& res) {
      const auto snapshot = self->snapshotter_.take(kDashboardMaxProcesses);
      send_json_text(res, snapshot_json(snapshot, self->allow_kill_, steady_ms()));
    });
    server.Get(R"(/api/process/([^/]*))",
               [self](const httplib::Request& req, httplib::Response& res) {
                 const auto id = process_id(req, res);
                 if (!id) return;
                 if (auto process = self->snapshotter_.process(*id)) {
                   send_json_text(res, process_json(*process));
                 } else {
                   send_error(res, 404, "no process " + std::to_string(*id) + " on this node");
                 }
               });
    server.Post(R"(/api/process/([^/]*)/kill)",
                [self](const httplib::Request& req, httplib::Response& res) {
                  if (!self->allow_kill_) {
                    send_error(res, 403, "killing is off: start with --dashboard-allow-kill");
                    return;
                  }
                  const auto id = process_id(req, res);
                  if (!id) return;
                  auto process = self->environment_.scheduler().find(*id);
                  if (process == nullptr) {
                    send_error(res, 404, "no process " + std::to_string(*id) + " on this node");
                    return;
                  }
                  process->kill("killed from the dashboard");
                  send_json(res, {{"killed", std::to_string(*id)}});
                });
    // Anything else: a clear answer, never an empty page.
    server.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
      if (res.body.empty()) {
        send_error(res, res.status, req.method + " " + req.path + ": no such resource");
      }
    });
  };
  environment.scheduler().enable_cpu_sampling();
  auto http = HttpService::start(options.address, "the dashboard", 2, routes);
  if (!http) return http.error();
  dashboard->http_ = std::move(*http);
  return dashboard;
}

}  // namespace lunatic::cli
