// `lunatic run --watch`: for development, a rebuilt module file upgrades the running system to
// it (cli/module_upgrader.hpp), as if `lunatic upgrade` had been run with it. The file's folder
// is watched with inotify, so a build that replaces the file (write, or rename into place) is
// seen; changes within 200 ms of each other make one upgrade. Results go to stderr.
#pragma once

#include <filesystem>
#include <memory>
#include <thread>

#include "common/error.hpp"
#include "common/unique_fd.hpp"

namespace lunatic::cli {

class ModuleUpgrader;

class ModuleWatch {
 public:
  static Expected<std::unique_ptr<ModuleWatch>> start(const std::filesystem::path& module,
                                                      ModuleUpgrader& upgrader);
  ~ModuleWatch();  // stops watching
  ModuleWatch(const ModuleWatch&) = delete;
  ModuleWatch& operator=(const ModuleWatch&) = delete;

 private:
  ModuleWatch(std::filesystem::path module, UniqueFd inotify, UniqueFd stop,
              ModuleUpgrader& upgrader);
  void watch();
  // Whether the events in `buffer` name the module's file.
  bool names_module(const char* buffer, std::size_t length) const;

  std::filesystem::path module_;
  UniqueFd inotify_;
  UniqueFd stop_;  // an eventfd: readable when watching must end
  ModuleUpgrader& upgrader_;
  std::thread thread_;
};

}  // namespace lunatic::cli
