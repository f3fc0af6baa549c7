// fd_* services: reading and writing files and pipes without blocking the thread, seeking,
// stat, flags and rights.
#include <fcntl.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "engine/execution/trap.hpp"
#include "wasi/fd_service.hpp"
#include "wasi/path_service.hpp"
#include "wasi_test_support.hpp"

namespace lunatic::wasi {
namespace {

using testing::Sandbox;
using testing::TestBlocking;

std::uint32_t open_rw(Sandbox& s, const char* path, std::uint32_t oflags = oflags::kCreat,
                      std::uint32_t fdflags = 0) {
  auto fd = path_open(*s.context, Sandbox::kDir, lookupflags::kSymlinkFollow, path, oflags,
                      rights::kAll, rights::kAll, fdflags);
  EXPECT_TRUE(fd.ok()) << errno_name(fd.error());
  return fd.value();
}

Result<std::size_t> write_text(WasiContext& context, runtime::Blocking* blocking, std::uint32_t fd,
                               std::string text) {
  std::span<std::uint8_t> spans[] = {
      std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(text.data()), text.size())};
  return fd_write(context, blocking, fd, spans);
}

Result<std::string> read_text(WasiContext& context, runtime::Blocking* blocking, std::uint32_t fd,
                              std::size_t max = 64) {
  std::string buffer(max, '\0');
  std::span<std::uint8_t> spans[] = {
      std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(buffer.data()), max)};
  auto n = fd_read(context, blocking, fd, spans);
  if (!n.ok()) return n.error();
  buffer.resize(*n);
  return buffer;
}

// A context whose stdin reads from a pipe and whose stdout writes to another.
struct Pipes {
  int in[2];
  int out[2];
  std::unique_ptr<WasiContext> context;
  Pipes() {
    ::pipe2(in, O_CLOEXEC);
    ::pipe2(out, O_CLOEXEC);
    WasiConfig config;
    config.stdin_fd = in[0];
    config.stdout_fd = out[1];
    config.stderr_fd = -1;
    context = std::move(WasiContext::create(config).value());
  }
  ~Pipes() {
    context.reset();
    for (int fd : {in[0], in[1], out[0], out[1]}) {
      if (fd >= 0) ::close(fd);
    }
  }
};

TEST(WasiFd, WritesReadsSeeksAndTellsOnAFile) {
  Sandbox s;
  auto fd = open_rw(s, "new.txt");
  EXPECT_EQ(write_text(*s.context, nullptr, fd, "hello world").value(), 11u);
  EXPECT_EQ(fd_tell(*s.context, fd).value(), 11u);
  EXPECT_EQ(fd_seek(*s.context, fd, 6, static_cast<std::uint32_t>(Whence::kSet)).value(), 6u);
  EXPECT_EQ(read_text(*s.context, nullptr, fd).value(), "world");
  EXPECT_EQ(fd_seek(*s.context, fd, -5, static_cast<std::uint32_t>(Whence::kEnd)).value(), 6u);
  EXPECT_EQ(fd_seek(*s.context, fd, -1, static_cast<std::uint32_t>(Whence::kCur)).value(), 5u);
  EXPECT_EQ(fd_seek(*s.context, fd, -100, static_cast<std::uint32_t>(Whence::kCur)).error(),
            Errno::kInval);
  EXPECT_EQ(fd_seek(*s.context, fd, 0, 7).error(), Errno::kInval);
  EXPECT_EQ(fd_seek(*s.context, 99, 0, 0).error(), Errno::kBadf);
}

TEST(WasiFd, ReadsAndWritesAtAnOffsetWithoutMovingThePosition) {
  Sandbox s;
  auto fd = open_rw(s, "inside.txt", 0);
  std::string patch = "J";
  std::span<std::uint8_t> out[] = {
      std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(patch.data()), 1)};
  EXPECT_EQ(fd_pwrite(*s.context, fd, out, 0).value(), 1u);
  char buffer[8] = {};
  std::span<std::uint8_t> in[] = {
      std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(buffer), 3),
      std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(buffer + 3), 5)};
  EXPECT_EQ(fd_pread(*s.context, fd, in, 0).value(), 5u);
  EXPECT_EQ(std::string(buffer), "Jello");
  EXPECT_EQ(fd_tell(*s.context, fd).value(), 0u);
  EXPECT_EQ(fd_pread(*s.context, fd, in, std::uint64_t{1} << 63).error(), Errno::kInval);
}

TEST(WasiFd, ReadingAnEmptyPipeSuspendsThroughTheSchedulerNotTheThread) {
  Pipes p;
  TestBlocking blocking;
  // "Another process" writes only once this one has asked to wait.
  blocking.before_wait = [&] { ASSERT_EQ(::write(p.in[1], "ping", 4), 4); };
  EXPECT_EQ(read_text(*p.context, &blocking, 0).value(), "ping");
  EXPECT_EQ(blocking.fd_waits, 1);
}

TEST(WasiFd, ReadingAPipeWithDataDoesNotWait) {
  Pipes p;
  TestBlocking blocking;
  ASSERT_EQ(::write(p.in[1], "data", 4), 4);
  EXPECT_EQ(read_text(*p.context, &blocking, 0).value(), "data");
  EXPECT_EQ(blocking.fd_waits, 0);
  ::close(p.in[1]);
  p.in[1] = -1;
  EXPECT_EQ(read_text(*p.context, &blocking, 0).value(), "");  // end of file
}

TEST(WasiFd, ReadingAnEmptyPipeWithNonblockIsAgain) {
  Pipes p;
  TestBlocking blocking;
  ASSERT_EQ(fd_fdstat_set_flags(*p.context, 0, fdflags::kNonblock), Errno::kSuccess);
  EXPECT_EQ(fd_fdstat_get(*p.context, 0)->flags, fdflags::kNonblock);
  EXPECT_EQ(read_text(*p.context, &blocking, 0).error(), Errno::kAgain);
  EXPECT_EQ(blocking.fd_waits, 0);
  // The host description was not touched: it still blocks for everyone else.
  EXPECT_EQ(::fcntl(p.in[0], F_GETFL) & O_NONBLOCK, 0);
}

TEST(WasiFd, ReadingAnEmptyPipeWithoutASchedulerTrapsInsteadOfBlocking) {
  Pipes p;
  EXPECT_THROW(read_text(*p.context, nullptr, 0), engine::GuestTrap);
}

TEST(WasiFd, WritesToAPipeAndReportsAGoneReaderAsEpipe) {
  Pipes p;
  TestBlocking blocking;
  EXPECT_EQ(write_text(*p.context, &blocking, 1, "out").value(), 3u);
  char buffer[4] = {};
  EXPECT_EQ(::read(p.out[0], buffer, 3), 3);
  ::close(p.out[0]);
  p.out[0] = -1;
  // Without the guard the runtime would die of SIGPIPE here.
  EXPECT_EQ(write_text(*p.context, &blocking, 1, "lost").error(), Errno::kPipe);
}

TEST(WasiFd, WritingToAFullPipeWaitsForTheReader) {
  Pipes p;
  TestBlocking blocking;
  ::fcntl(p.out[1], F_SETPIPE_SZ, 4096);
  std::string big(4096, 'x');
  ASSERT_EQ(write_text(*p.context, &blocking, 1, big).value(), 4096u);  // fills the pipe
  std::string drained(4096, '\0');
  blocking.before_wait = [&] { ASSERT_EQ(::read(p.out[0], drained.data(), 4096), 4096); };
  EXPECT_EQ(write_text(*p.context, &blocking, 1, "more").value(), 4u);
  EXPECT_EQ(blocking.fd_waits, 1);
}

TEST(WasiFd, RequiresTheRightForEachOperation) {
  Sandbox s;
  auto fd = path_open(*s.context, Sandbox::kDir, 0, "inside.txt", 0, rights::kFdRead, 0, 0);
  ASSERT_TRUE(fd.ok());
  // No write access is EBADF, as POSIX has it; other missing rights are ENOTCAPABLE.
  EXPECT_EQ(write_text(*s.context, nullptr, *fd, "x").error(), Errno::kBadf);
  EXPECT_EQ(fd_seek(*s.context, *fd, 1, 0).error(), Errno::kNotCapable);
  EXPECT_EQ(fd_filestat_get(*s.context, *fd).error(), Errno::kNotCapable);
  EXPECT_EQ(read_text(*s.context, nullptr, *fd).value(), "hello");
  auto stat = fd_fdstat_get(*s.context, *fd);
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->filetype, FileType::kRegularFile);
  EXPECT_EQ(stat->rights_base, rights::kFdRead);
}

TEST(WasiFd, RefusesStreamOperationsOnADirectory) {
  Sandbox s;
  EXPECT_EQ(read_text(*s.context, nullptr, Sandbox::kDir).error(), Errno::kBadf);
  EXPECT_EQ(write_text(*s.context, nullptr, Sandbox::kDir, "x").error(), Errno::kBadf);
  EXPECT_EQ(fd_seek(*s.context, Sandbox::kDir, 0, 0).error(), Errno::kBadf);
  EXPECT_EQ(fd_tell(*s.context, Sandbox::kDir).error(), Errno::kBadf);
  EXPECT_EQ(fd_filestat_set_size(*s.context, Sandbox::kDir, 0), Errno::kBadf);
  EXPECT_EQ(fd_filestat_get(*s.context, Sandbox::kDir)->filetype, FileType::kDirectory);
  EXPECT_EQ(fd_sync(*s.context, Sandbox::kDir), Errno::kSuccess);
}

TEST(WasiFd, RightsOnlyEverShrink) {
  Sandbox s;
  auto fd = open_rw(s, "inside.txt", 0);
  ASSERT_EQ(fd_fdstat_set_rights(*s.context, fd, rights::kFdRead, 0), Errno::kSuccess);
  EXPECT_EQ(fd_fdstat_set_rights(*s.context, fd, rights::kFdRead | rights::kFdWrite, 0),
            Errno::kNotCapable);
  EXPECT_EQ(fd_fdstat_get(*s.context, fd)->rights_base, rights::kFdRead);
  EXPECT_EQ(fd_fdstat_set_rights(*s.context, 42, 0, 0), Errno::kBadf);
}

TEST(WasiFd, SetsAppendOnItsOwnDescriptorsButRefusesSyncChanges) {
  Sandbox s;
  auto fd = open_rw(s, "inside.txt", 0);
  ASSERT_EQ(fd_fdstat_set_flags(*s.context, fd, fdflags::kAppend), Errno::kSuccess);
  EXPECT_EQ(write_text(*s.context, nullptr, fd, "!").value(), 1u);
  EXPECT_EQ(fd_filestat_get(*s.context, fd)->size, 6u);
  EXPECT_EQ(fd_fdstat_set_flags(*s.context, fd, fdflags::kSync), Errno::kNotSup);
  EXPECT_EQ(fd_fdstat_set_flags(*s.context, fd, 0x100), Errno::kInval);
  auto synced = open_rw(s, "synced.txt", oflags::kCreat, fdflags::kDsync);
  EXPECT_EQ(fd_fdstat_get(*s.context, synced)->flags, fdflags::kDsync);
}

TEST(WasiFd, ResizesAllocatesAndStampsFiles) {
  Sandbox s;
  auto fd = open_rw(s, "inside.txt", 0);
  EXPECT_EQ(fd_filestat_set_size(*s.context, fd, 2), Errno::kSuccess);
  EXPECT_EQ(fd_filestat_get(*s.context, fd)->size, 2u);
  EXPECT_EQ(fd_allocate(*s.context, fd, 0, 100), Errno::kSuccess);
  EXPECT_EQ(fd_filestat_get(*s.context, fd)->size, 100u);
  EXPECT_EQ(fd_allocate(*s.context, fd, 0, 0), Errno::kInval);
  EXPECT_EQ(fd_filestat_set_size(*s.context, fd, ~std::uint64_t{0}), Errno::kInval);
  EXPECT_EQ(fd_filestat_set_times(*s.context, fd, 5'000'000'123ull, 7'000'000'456ull,
                                  fstflags::kAtim | fstflags::kMtim),
            Errno::kSuccess);
  auto stat = fd_filestat_get(*s.context, fd);
  EXPECT_EQ(stat->atim, 5'000'000'123ull);
  EXPECT_EQ(stat->mtim, 7'000'000'456ull);
  EXPECT_EQ(stat->filetype, FileType::kRegularFile);
  EXPECT_EQ(stat->nlink, 1u);
  EXPECT_EQ(fd_filestat_set_times(*s.context, fd, 0, 0, fstflags::kAtim | fstflags::kAtimNow),
            Errno::kInval);
  EXPECT_EQ(fd_advise(*s.context, fd, 0, 0, static_cast<std::uint32_t>(Advice::kSequential)),
            Errno::kSuccess);
  EXPECT_EQ(fd_advise(*s.context, fd, 0, 0, 6), Errno::kInval);
  EXPECT_EQ(fd_sync(*s.context, fd), Errno::kSuccess);
  EXPECT_EQ(fd_datasync(*s.context, fd), Errno::kSuccess);
}

TEST(WasiFd, SeekingAPipeIsSpipe) {
  Pipes p;
  EXPECT_EQ(fd_seek(*p.context, 0, 1, 0).error(), Errno::kSpipe);
  EXPECT_EQ(fd_tell(*p.context, 0).error(), Errno::kSpipe);
}

TEST(WasiFd, RenumberingKeepsTheFileAndFreesTheOldNumber) {
  Sandbox s;
  auto a = open_rw(s, "inside.txt", 0);  // 4
  auto b = open_rw(s, "b.txt");          // 5
  ASSERT_EQ(fd_renumber(*s.context, a, b), Errno::kSuccess);
  EXPECT_EQ(read_text(*s.context, nullptr, b).value(), "hello");
  EXPECT_EQ(fd_close(*s.context, a), Errno::kBadf);
  EXPECT_EQ(fd_renumber(*s.context, b, 77), Errno::kBadf);
  EXPECT_EQ(open_rw(s, "c.txt"), 4u);
}

}  // namespace
}  // namespace lunatic::wasi
