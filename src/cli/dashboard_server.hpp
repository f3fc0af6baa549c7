// `--dashboard ADDR` of `run` and `node`: a live view of the runtime in a browser. Serves one
// self-contained page (cli/dashboard/dashboard.html, embedded in the binary) and the JSON it
// polls:
//
//   GET  /                        the page
//   GET  /api/snapshot            the runtime now (host/process_snapshot.hpp), as JSON
//   GET  /api/process/ID          one process; 400 for an id that is no number, 404 for none
//   POST /api/process/ID/kill     kills it, only with --dashboard-allow-kill (403 otherwise)
//
// Loopback unless an address says otherwise; read-only unless kills are allowed. Turns slice
// timing on (CPU and busy times) for the whole run.
#pragma once

#include <memory>
#include <string>

#include "cli/http_service.hpp"
#include "common/error.hpp"
#include "host/process_snapshot.hpp"

namespace lunatic::host {
class Environment;
}

namespace lunatic::cli {

// Processes one snapshot shows at most: the page stays responsive with a million alive.
inline constexpr std::size_t kDashboardMaxProcesses = 2000;

struct DashboardOptions {
  std::string address;  // "host:port"
  bool allow_kill = false;
};

class DashboardServer {
 public:
  // Call before the scheduler runs (CPU sampling starts here).
  static Expected<std::unique_ptr<DashboardServer>> start(host::Environment& environment,
                                                          DashboardOptions options);
  ~DashboardServer();
  DashboardServer(const DashboardServer&) = delete;
  DashboardServer& operator=(const DashboardServer&) = delete;

  // "http://host:port/".
  std::string url() const { return http_->base_url() + "/"; }
  // Labels the main module's processes in snapshots.
  void name_module(const void* module, std::string label);

 private:
  DashboardServer(host::Environment& environment, bool allow_kill);

  host::Environment& environment_;
  const bool allow_kill_;
  host::Snapshotter snapshotter_;
  std::unique_ptr<HttpService> http_;  // last: stopped first, while what it serves is there
};

}  // namespace lunatic::cli
