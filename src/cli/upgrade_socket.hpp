// `lunatic run --upgrade-socket PATH`: a Unix socket on which `lunatic upgrade` asks the running
// system to move to new code (cli/module_upgrader.hpp). One request per connection, one JSON
// line each way (docs/hot-upgrade.md). The socket is made owner-only (0600): whoever can
// connect can replace the code the system runs.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "host/code_upgrade.hpp"

namespace lunatic::cli {

class ModuleUpgrader;

// The request's JSON, and the answer's, shared with the client.
std::string upgrade_request_json(const std::filesystem::path& module,
                                 const host::UpgradeOptions& options,
                                 std::chrono::milliseconds timeout, bool all_nodes);
std::string upgrade_answer_json(const Expected<host::UpgradeReport>& result);

class UpgradeSocket {
 public:
  // Listens at `path`; a socket file left by a run that is gone is replaced, anything else
  // there is an error.
  static Expected<std::unique_ptr<UpgradeSocket>> start(const std::filesystem::path& path,
                                                        ModuleUpgrader& upgrader);
  ~UpgradeSocket();  // stops serving and removes the socket file
  UpgradeSocket(const UpgradeSocket&) = delete;
  UpgradeSocket& operator=(const UpgradeSocket&) = delete;

 private:
  UpgradeSocket(std::filesystem::path path, UniqueFd listener, UniqueFd stop,
                ModuleUpgrader& upgrader);
  void serve();
  void answer(int connection);

  std::filesystem::path path_;
  UniqueFd listener_;
  UniqueFd stop_;  // an eventfd: readable when the server must end
  ModuleUpgrader& upgrader_;
  std::thread thread_;
};

}  // namespace lunatic::cli
