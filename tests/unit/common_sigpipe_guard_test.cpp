// A write to a socket whose peer is gone fails with EPIPE under the guard, with SIGPIPE at its
// default disposition (which would end this test process), and leaves no signal behind.
#include "common/sigpipe_guard.hpp"

#include <gtest/gtest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <thread>

#include "common/unique_fd.hpp"

namespace lunatic {
namespace {

// One end of a socket pair whose other end is closed: writing to it raises SIGPIPE.
UniqueFd orphaned_socket() {
  int ends[2];
  EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, ends), 0);
  ::close(ends[1]);
  return UniqueFd(ends[0]);
}

bool sigpipe_pending() {
  sigset_t pending;
  sigemptyset(&pending);
  sigpending(&pending);
  return sigismember(&pending, SIGPIPE) == 1;
}

bool sigpipe_blocked() {
  sigset_t mask;
  pthread_sigmask(SIG_SETMASK, nullptr, &mask);
  return sigismember(&mask, SIGPIPE) == 1;
}

class SigpipeGuardTest : public ::testing::Test {
 protected:
  void SetUp() override { std::signal(SIGPIPE, SIG_DFL); }
};

TEST_F(SigpipeGuardTest, AWriteToAClosedPeerIsEpipeAndTheSignalIsSwallowed) {
  UniqueFd socket = orphaned_socket();
  ASSERT_FALSE(sigpipe_blocked());
  {
    SigpipeGuard guard;
    EXPECT_TRUE(sigpipe_blocked());
    errno = 0;
    EXPECT_EQ(::write(socket.get(), "x", 1), -1);
    EXPECT_EQ(errno, EPIPE);
  }
  EXPECT_FALSE(sigpipe_blocked()) << "the thread's mask is restored";
  EXPECT_FALSE(sigpipe_pending());
}

TEST_F(SigpipeGuardTest, FinishingWithTheWritesErrnoSwallowsItsSignal) {
  UniqueFd socket = orphaned_socket();
  SigpipeGuard guard;
  const ssize_t n = ::write(socket.get(), "x", 1);
  const int error = n < 0 ? errno : 0;
  guard.finish(error);
  EXPECT_EQ(error, EPIPE);
  EXPECT_FALSE(sigpipe_blocked());
  EXPECT_FALSE(sigpipe_pending());
}

TEST_F(SigpipeGuardTest, AnInactiveGuardLeavesTheMaskAlone) {
  SigpipeGuard guard(false);
  EXPECT_FALSE(sigpipe_blocked());
}

TEST_F(SigpipeGuardTest, AThreadThatBlocksItForGoodWritesToClosedPeersWithoutDying) {
  UniqueFd socket = orphaned_socket();
  int error = 0;
  std::thread writer([&] {
    block_sigpipe_in_this_thread();
    if (::write(socket.get(), "x", 1) < 0) error = errno;
    std::thread child([&] { EXPECT_TRUE(sigpipe_blocked()) << "threads it starts inherit it"; });
    child.join();
  });
  writer.join();
  EXPECT_EQ(error, EPIPE);
  EXPECT_FALSE(sigpipe_blocked()) << "only that thread's mask changed";
}

}  // namespace
}  // namespace lunatic
