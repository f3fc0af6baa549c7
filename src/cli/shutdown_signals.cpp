#include "cli/shutdown_signals.hpp"

#include <pthread.h>

namespace lunatic::cli {
namespace {
// Sent to the waiting thread by the destructor: it ends the wait without a real signal.
constexpr int kWakeSignal = SIGUSR2;
}  // namespace

ShutdownSignals::ShutdownSignals() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGINT);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, kWakeSignal);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
}

ShutdownSignals::~ShutdownSignals() {
  if (waiter_.joinable()) {
    pthread_kill(waiter_.native_handle(), kWakeSignal);
    waiter_.join();
  }
  pthread_sigmask(SIG_UNBLOCK, &signals_, nullptr);
}

void ShutdownSignals::start(std::function<void(int signal)> on_signal) {
  waiter_ = std::thread([this, on_signal = std::move(on_signal)] {
    int signal = 0;
    if (sigwait(&signals_, &signal) == 0 && signal != kWakeSignal) on_signal(signal);
  });
}

}  // namespace lunatic::cli
