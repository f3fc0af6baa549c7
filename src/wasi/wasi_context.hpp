// One process's WASI state: its arguments, environment and descriptor table.
//
// Created from a WasiConfig when the process starts; destroyed with the process, closing every
// host descriptor it owns (the standard streams are borrowed, never closed). Thread: used only
// by the thread currently running the owning process, from inside its host calls.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "wasi/fd_table.hpp"
#include "wasi/wasi_config.hpp"

namespace lunatic::wasi {

class WasiContext {
 public:
  // Opens the preopened directories (guest fds 3, 4, ... in order) and borrows the standard
  // descriptors as guest fds 0, 1, 2 (a negative or closed one leaves its slot empty).
  // Returns: the context, or Errc::kIo naming the directory that could not be opened, or
  // Errc::kIo when the kernel lacks openat2 (the sandbox cannot work without it).
  static Expected<std::unique_ptr<WasiContext>> create(const WasiConfig& config);

  const std::vector<std::string>& args() const { return args_; }
  const std::vector<std::string>& env() const { return env_; }
  FdTable& fds() { return fds_; }

  // True unless SIGPIPE was ignored when the context was made: writes to pipes then block
  // the signal around the write so a closed reader yields EPIPE, not a dead runtime.
  bool guard_sigpipe() const { return guard_sigpipe_; }

 private:
  WasiContext() = default;

  std::vector<std::string> args_;
  std::vector<std::string> env_;
  FdTable fds_;
  bool guard_sigpipe_ = true;
};

}  // namespace lunatic::wasi
