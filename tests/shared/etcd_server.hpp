// A real etcd (Debian's etcd-server 3.4) for one test: its own data directory, free loopback
// ports, killed at the end. Missing etcd is a failure, never a skip. The cluster tests
// (tests/cluster) and the command-line cluster tests (tests/cli) both use it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "common/error.hpp"

namespace lunatic::cluster::testing {

class EtcdServer {
 public:
  static constexpr const char* kBinary = "/usr/bin/etcd";

  // Starts etcd and waits until it answers; an error says why (etcd missing: run
  // scripts/install-deps.sh; it exited; it did not answer in time) and where its log is.
  // Its data and log go to `dir` (made if missing; left in place, for a test's own temporary
  // directory, which keeps them when the test fails), or, when `dir` is empty, to a temporary
  // directory of its own that it removes at the end.
  static Expected<std::unique_ptr<EtcdServer>> start(const std::filesystem::path& dir = {});
  ~EtcdServer();  // stops etcd (and removes its directory if it made it)
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  std::string url() const;  // http://127.0.0.1:<client port>
  std::uint16_t client_port() const { return client_port_; }

  // SIGKILL, as a crash: the data directory stays for restart().
  void kill();
  // Starts etcd again on the same ports and data, and waits until it answers.
  Status restart();
  std::string log() const;  // etcd's output so far, for failure messages

 private:
  EtcdServer() = default;
  Status launch();
  Status wait_until_ready(std::chrono::seconds limit);
  void stop_process(int signal, std::chrono::milliseconds grace);

  std::filesystem::path dir_;
  bool owns_dir_ = false;
  std::uint16_t client_port_ = 0;
  std::uint16_t peer_port_ = 0;
  pid_t pid_ = -1;
};

// A loopback TCP port that was free a moment ago (bound to port 0, then released).
std::uint16_t free_loopback_port();

}  // namespace lunatic::cluster::testing
