// What a process's WASI view is made of: its arguments, environment and preopened directories.
#pragma once

#include <string>
#include <vector>

namespace lunatic::wasi {

struct Preopen {
  std::string host_path;   // an existing directory on the host
  std::string guest_path;  // the name the guest sees (fd_prestat_dir_name)
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
