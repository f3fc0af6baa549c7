// `lunatic node [CONTROL_URL]`: this runtime as a member of a cluster (docs/distribution.md).
// It joins the membership store (`lunatic control` at CONTROL_URL, or etcd with --cluster),
// serves spawns and messages from the other nodes, runs --wasm's _start if given (the node
// ends with it, as `run` does), and leaves the cluster on SIGINT or SIGTERM.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "cli/run_command.hpp"

namespace lunatic::cli {

struct NodeOptions {
  std::string control_url = "http://127.0.0.1:3030/";  // Lunatic's default
  std::string cluster_url;                             // etcd://HOST:PORT: membership in etcd
  std::string cluster_name = "lunatic";                // key prefix; clusters never mix
  std::string bind_socket = "127.0.0.1:0";
  std::string name;               // stable node name; default: the certificate's CN, or host-random
  std::vector<std::string> tags;  // k=v
  std::string certificate, private_key, ca_certificate;  // PEM files (all three, or none)
  std::string join_token_file;  // default: control's, in its default state directory
  std::string state_dir;        // default: $XDG_STATE_HOME/lunatic/node-<name>
  unsigned lease_ttl_seconds = 3;
  // A peer that sends nothing (not even a tick) for this long is declared down; ticks go out
  // every quarter of it. Erlang's net_ticktime.
  unsigned tick_timeout_ms = 4000;
  RunOptions run;  // --wasm is run.module_path; --dir, --workers, limits as for run
};

int node_command(NodeOptions options);

}  // namespace lunatic::cli
