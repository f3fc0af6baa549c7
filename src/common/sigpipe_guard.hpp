// Writes to a closed pipe or socket as EPIPE, never as a SIGPIPE that ends the process: the
// library code here cannot rely on the program having ignored the signal (tests and embedders
// do not), and libraries it calls (httplib, OpenSSL) write without MSG_NOSIGNAL.
#pragma once

#include <signal.h>

namespace lunatic {

// Blocks SIGPIPE in this thread for its scope and swallows the one a write in it raised, so
// that the write fails with EPIPE. A SIGPIPE already pending when it began is left alone.
class SigpipeGuard {
 public:
  explicit SigpipeGuard(bool active = true);
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;
  ~SigpipeGuard() { finish(kUnknownErrno); }

  // Ends the scope early, given the write's errno: only EPIPE costs a system call to swallow
  // the signal. The destructor, not knowing the errno, swallows whatever was raised.
  void finish(int write_errno);

  static constexpr int kUnknownErrno = -1;

 private:
  bool active_;
  bool was_pending_ = false;
  sigset_t pipe_set_{};
  sigset_t old_mask_{};
};

// For a thread that lives to write to peers: SIGPIPE stays blocked (and, once raised, pending)
// on it for good, and threads it starts inherit the mask.
void block_sigpipe_in_this_thread();

}  // namespace lunatic
