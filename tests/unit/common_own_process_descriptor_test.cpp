// A descriptor of this OS process: opened once, on first use; not retried when it cannot be
// opened; opened again in a forked child.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>

#include "common/own_process_descriptor.hpp"

namespace lunatic {
namespace {

std::atomic<int> g_opens{0};

int open_null() {
  ++g_opens;
  return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int open_nothing() {
  ++g_opens;
  return -1;
}

TEST(OwnProcessDescriptor, IsOpenedOnceOnFirstUse) {
  g_opens = 0;
  OwnProcessDescriptor descriptor(open_null);
  EXPECT_EQ(g_opens, 0);
  const int fd = descriptor.get();
  EXPECT_GE(fd, 0);
  EXPECT_EQ(descriptor.get(), fd);
  EXPECT_EQ(g_opens, 1);
  ::close(fd);
}

TEST(OwnProcessDescriptor, OneThatCannotBeOpenedIsNotTriedAgain) {
  g_opens = 0;
  OwnProcessDescriptor descriptor(open_nothing);
  EXPECT_EQ(descriptor.get(), -1);
  EXPECT_EQ(descriptor.get(), -1);
  EXPECT_EQ(g_opens, 1);
}

TEST(OwnProcessDescriptor, AForkedChildOpensItsOwn) {
  g_opens = 0;
  OwnProcessDescriptor descriptor(open_null);
  const int parent_fd = descriptor.get();
  ASSERT_GE(parent_fd, 0);
  const pid_t child = ::fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    const int fd = descriptor.get();
    ::_exit(fd >= 0 && g_opens == 2 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child kept the parent's descriptor";
  EXPECT_EQ(descriptor.get(), parent_fd) << "the parent's own stays";
  ::close(parent_fd);
}

}  // namespace
}  // namespace lunatic
