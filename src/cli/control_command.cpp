#include "cli/control_command.hpp"

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include <fmt/core.h>

#include "cli/diagnostics.hpp"
#include "cli/run_command.hpp"
#include "cli/shutdown_signals.hpp"
#include "cli/state_directory.hpp"
#include "cluster/control_server.hpp"
#include "cluster/node_address.hpp"

namespace lunatic::cli {
int control_command(const ControlOptions& options) {
  ShutdownSignals signals;  // first: the server's threads inherit the blocked signals
  auto address = cluster::parse_node_address(options.bind_socket);
  if (!address) {
    print_error("--bind-socket: " + address.error().message);
    return kExitRuntimeError;
  }
  cluster::ControlServerOptions server_options;
  const std::string text = address->to_string();  // "127.0.0.1:3030", "[::1]:3030"
  server_options.host = text.substr(0, text.rfind(':'));
  if (server_options.host.starts_with('[')) {
    server_options.host = server_options.host.substr(1, server_options.host.size() - 2);
  }
  server_options.port = address->port();
  server_options.state_dir = options.state_dir.empty() ? state_home() / "control"
                                                       : std::filesystem::path(options.state_dir);
  server_options.join_token_file = options.join_token_file;
  cluster::ControlServer server(server_options);
  auto port = server.start();
  if (!port) {
    print_error("lunatic control: " + port.error().message);
    return kExitRuntimeError;
  }
  // One line on stdout that scripts and tests wait for.
  fmt::print("lunatic control: serving http://{}:{}/ (state and join token in {})\n",
             server_options.host, *port, server_options.state_dir.string());
  std::fflush(stdout);

  std::mutex mutex;
  std::condition_variable stopped;
  bool stop = false;
  signals.start([&](int) {
    std::lock_guard guard(mutex);
    stop = true;
    stopped.notify_all();
  });
  std::unique_lock lock(mutex);
  stopped.wait(lock, [&] { return stop; });
  server.stop();
  return 0;
}

}  // namespace lunatic::cli
