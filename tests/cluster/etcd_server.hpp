// A real etcd (Debian's etcd-server, /usr/bin/etcd) for tests: one member, its data in a
// directory of the test's, on free loopback ports, killed when the object goes.
// Thread: one thread at a time.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <memory>
#include <string>

#include "common/error.hpp"

namespace lunatic::testing {

class EtcdServer {
 public:
  static constexpr const char* kBinary = "/usr/bin/etcd";
  static bool installed();

  // Starts etcd with its data and log under `dir` and waits (up to 30 s) until /health answers.
  static Expected<std::unique_ptr<EtcdServer>> start(const std::filesystem::path& dir);
  ~EtcdServer();  // SIGTERM, then SIGKILL if it lingers
  EtcdServer(const EtcdServer&) = delete;
  EtcdServer& operator=(const EtcdServer&) = delete;

  int client_port() const { return client_port_; }
  // The end of etcd's log, for a failing test's message.
  std::string log_tail() const;

 private:
  EtcdServer(pid_t pid, int client_port, std::filesystem::path log)
      : pid_(pid), client_port_(client_port), log_(std::move(log)) {}
  pid_t pid_;
  int client_port_;
  std::filesystem::path log_;
};

}  // namespace lunatic::testing
