// SIGINT and SIGTERM for commands that serve until asked to stop (`node`, `control`): the
// signals are blocked in every thread and one thread of this object's waits for them, so the
// stop runs as ordinary code (not in a signal handler) and no thread is interrupted mid-call.
// Construct it first, before any other thread starts, so every thread inherits the mask.
#pragma once

#include <csignal>
#include <functional>
#include <thread>

namespace lunatic::cli {

class ShutdownSignals {
 public:
  ShutdownSignals();
  ~ShutdownSignals();  // stops waiting
  ShutdownSignals(const ShutdownSignals&) = delete;
  ShutdownSignals& operator=(const ShutdownSignals&) = delete;

  // Calls `on_signal` (once, on the waiting thread) when SIGINT or SIGTERM arrives.
  void start(std::function<void(int signal)> on_signal);

 private:
  sigset_t signals_{};
  std::thread waiter_;
};

}  // namespace lunatic::cli
