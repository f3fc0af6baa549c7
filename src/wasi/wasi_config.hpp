// What a process's WASI view is made of: its arguments, environment and preopened directories.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/unique_fd.hpp"

namespace lunatic::wasi {

struct Preopen {
  std::string host_path;   // the host directory, for messages
  std::string guest_path;  // the name the guest sees (fd_prestat_dir_name)
  // The directory itself (O_PATH), opened once when the preopen was granted: what a process
  // gets is this directory, whatever later happens to the path. Shared by every config and
  // process that holds the grant; each process opens its own description beneath it. Made by
  // wasi/preopen_grant.hpp.
  std::shared_ptr<const UniqueFd> directory;
};

struct WasiConfig {
  std::vector<std::string> args;  // args[0] is the program name
  std::vector<std::string> env;   // "KEY=VALUE"
  std::vector<Preopen> preopens;  // become fds 3, 4, ... in this order
  int stdin_fd = 0;               // host descriptors behind guest fds 0, 1 and 2
  int stdout_fd = 1;
  int stderr_fd = 2;
};

}  // namespace lunatic::wasi
