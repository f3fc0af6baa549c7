// `lunatic control [--bind-socket ADDR]`: the cluster's membership store and development CA for
// one machine, no etcd needed (cluster/control_server.hpp). Serves until SIGINT or SIGTERM.
#pragma once

#include <string>

namespace lunatic::cli {

struct ControlOptions {
  std::string bind_socket = "127.0.0.1:3030";  // Lunatic's default port
  std::string state_dir;                       // default: $XDG_STATE_HOME/lunatic/control
  std::string join_token_file;                 // default: a new random token
};

int control_command(const ControlOptions& options);

}  // namespace lunatic::cli
