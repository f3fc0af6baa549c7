#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <gtest/gtest.h>

#include "wasi/fd_service.hpp"
#include "wasi/path_service.hpp"
#include "wasi/wasi_context.hpp"
#include "wasi_test_support.hpp"

namespace lunatic::wasi {
namespace {

WasiConfig quiet_config() {
  WasiConfig config;
  config.stdin_fd = -1;
  config.stdout_fd = -1;
  config.stderr_fd = -1;
  return config;
}

TEST(WasiContext, AGrantNamingADirectoryThatCannotBeOpenedFailsWithAnIoErrorNamingIt) {
  testing::TempDir dir;
  auto missing = open_preopen(dir / "missing", "/m");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Errc::kIo);
  EXPECT_NE(missing.error().message.find(dir / "missing"), std::string::npos);

  dir.write("file", "x");
  auto not_a_dir = open_preopen(dir / "file", "/f");
  ASSERT_FALSE(not_a_dir);
  EXPECT_NE(not_a_dir.error().message.find(dir / "file"), std::string::npos);
}

TEST(WasiContext, RefusesAPreopenThatWasNeverOpened) {
  WasiConfig config = quiet_config();
  config.preopens = {Preopen{"/somewhere", "/s", nullptr}};
  auto created = WasiContext::create(config);
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().code, Errc::kIo);
}

TEST(WasiContext, SeesTheDirectoryGrantedEvenAfterItsPathIsRenamed) {
  testing::TempDir root;
  root.mkdir("box");
  root.write("box/inside.txt", "granted");
  WasiConfig config = quiet_config();
  config.preopens = {testing::granted(root / "box", "/box")};
  ASSERT_EQ(::rename((root / "box").c_str(), (root / "moved").c_str()), 0);
  root.mkdir("box");  // a new directory where the granted one was
  auto context = std::move(WasiContext::create(config).value());
  auto fd = path_open(*context, 3, 0, "inside.txt", 0, rights::kFdRead, 0, 0);
  EXPECT_TRUE(fd.ok()) << "the granted directory is the one that moved";
}

TEST(WasiContext, NumbersPreopensFromThreeInOrderWithTheirGuestNames) {
  testing::TempDir a, b;
  WasiConfig config = quiet_config();
  config.preopens = {testing::granted(a.path(), "/first"), testing::granted(b.path(), ".")};
  auto context = std::move(WasiContext::create(config).value());
  EXPECT_EQ(*fd_prestat_name(*context, 3).value(), "/first");
  EXPECT_EQ(*fd_prestat_name(*context, 4).value(), ".");
  EXPECT_EQ(fd_prestat_name(*context, 5).error(), Errno::kBadf);
  EXPECT_EQ(fd_prestat_name(*context, 0).error(), Errno::kBadf);
  auto stat = fd_fdstat_get(*context, 3);
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->filetype, FileType::kDirectory);
  EXPECT_EQ(stat->rights_inheriting, rights::kAll);
  EXPECT_NE(stat->rights_base & rights::kPathOpen, 0u);
}

TEST(WasiContext, KeepsArgsAndEnvironment) {
  WasiConfig config = quiet_config();
  config.args = {"prog", "--flag", ""};
  config.env = {"A=1", "B="};
  auto context = std::move(WasiContext::create(config).value());
  EXPECT_EQ(context->args(), config.args);
  EXPECT_EQ(context->env(), config.env);
}

TEST(WasiContext, BorrowsTheStandardStreamsAndNeverClosesThem) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  WasiConfig config = quiet_config();
  config.stdin_fd = pipe_fds[0];
  config.stdout_fd = pipe_fds[1];
  {
    auto context = std::move(WasiContext::create(config).value());
    EXPECT_EQ(fd_fdstat_get(*context, 0)->filetype, FileType::kUnknown);  // a FIFO
    EXPECT_EQ(fd_fdstat_get(*context, 2).error(), Errno::kBadf);          // not configured
    EXPECT_EQ(fd_close(*context, 0), Errno::kSuccess);
  }
  EXPECT_NE(::fcntl(pipe_fds[0], F_GETFD), -1);
  EXPECT_NE(::fcntl(pipe_fds[1], F_GETFD), -1);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

TEST(WasiContext, ClosesEveryOwnedDescriptorWhenDestroyed) {
  testing::TempDir dir;
  dir.write("f", "x");
  WasiConfig config = quiet_config();
  config.preopens = {testing::granted(dir.path(), "/d")};
  int preopen_host = -1;
  int file_host = -1;
  {
    auto context = std::move(WasiContext::create(config).value());
    auto fd = path_open(*context, 3, 0, "f", 0, rights::kFdRead, 0, 0);
    ASSERT_TRUE(fd.ok());
    preopen_host = context->fds().get(3)->fd();
    file_host = context->fds().get(*fd)->fd();
    ASSERT_NE(::fcntl(file_host, F_GETFD), -1);
  }
  EXPECT_EQ(::fcntl(preopen_host, F_GETFD), -1);
  EXPECT_EQ(::fcntl(file_host, F_GETFD), -1);
}

TEST(WasiContext, GivesATerminalNoSeekRightsSoIsattyWorks) {
  int master = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) {
    GTEST_SKIP() << "this machine gives no pseudo-terminal (posix_openpt: " << std::strerror(errno)
                 << "), as a container without /dev/pts";
  }
  ASSERT_EQ(::grantpt(master), 0);
  ASSERT_EQ(::unlockpt(master), 0);
  int slave = ::open(::ptsname(master), O_RDWR | O_NOCTTY | O_CLOEXEC);
  ASSERT_GE(slave, 0);
  WasiConfig config = quiet_config();
  config.stdout_fd = slave;
  auto context = std::move(WasiContext::create(config).value());
  auto stat = fd_fdstat_get(*context, 1);
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->filetype, FileType::kCharacterDevice);
  EXPECT_EQ(stat->rights_base & (rights::kFdSeek | rights::kFdTell), 0u);
  EXPECT_NE(stat->rights_base & rights::kFdWrite, 0u);
  context.reset();
  ::close(slave);
  ::close(master);
}

}  // namespace
}  // namespace lunatic::wasi
