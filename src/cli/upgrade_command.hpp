// `lunatic upgrade --socket PATH NEW.wasm`: asks a running `lunatic run --upgrade-socket PATH`
// to move its module's processes to NEW.wasm (cli/upgrade_socket.hpp), prints what happened,
// and exits 0 only when every process moved.
#pragma once

#include <string>

#include "host/code_upgrade.hpp"

namespace lunatic::cli {

struct UpgradeCommandOptions {
  std::string module_path;
  std::string socket;
  host::UpgradeOptions options;  // purge and restart; the deadline comes from timeout_seconds
  double timeout_seconds = 10;
  bool all_nodes = false;  // every node of the cluster the socket's node belongs to
};

int upgrade_command(const UpgradeCommandOptions& options);

}  // namespace lunatic::cli
