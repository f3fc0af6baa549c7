// The sandbox: every way out of a preopened directory is refused, and everything inside works.
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>

#include "wasi/fd_service.hpp"
#include "wasi/path_service.hpp"
#include "wasi/sandbox.hpp"
#include "wasi_test_support.hpp"

namespace lunatic::wasi {
namespace {

using testing::Sandbox;
constexpr std::uint32_t kDir = Sandbox::kDir;
constexpr std::uint32_t kFollow = lookupflags::kSymlinkFollow;
constexpr Rights kReadRights = rights::kFdRead | rights::kFdSeek | rights::kFdTell |
                               rights::kFdFilestatGet | rights::kFdReaddir;
constexpr Rights kWriteRights = kReadRights | rights::kFdWrite | rights::kFdFilestatSetSize;

Result<std::uint32_t> open_at(Sandbox& s, std::string_view path, std::uint32_t lookup = kFollow,
                              std::uint32_t oflags = 0, Rights base = kReadRights,
                              std::uint32_t dirfd = kDir) {
  return path_open(*s.context, dirfd, lookup, path, oflags, base, base, 0);
}

std::string read_all(Sandbox& s, std::uint32_t fd) {
  std::string out;
  std::uint8_t buffer[64];
  for (;;) {
    std::span<std::uint8_t> spans[] = {std::span<std::uint8_t>(buffer)};
    auto n = fd_read(*s.context, nullptr, fd, spans);
    if (!n.ok() || *n == 0) return out;
    out.append(reinterpret_cast<const char*>(buffer), *n);
  }
}

TEST(WasiSandbox, OpensAndReadsAFileInsideThePreopen) {
  Sandbox s;
  auto fd = open_at(s, "inside.txt");
  ASSERT_TRUE(fd.ok()) << errno_name(fd.error());
  EXPECT_EQ(*fd, 4u);
  EXPECT_EQ(read_all(s, *fd), "hello");
}

TEST(WasiSandbox, RefusesAParentDirectoryEscape) {
  Sandbox s;
  EXPECT_EQ(open_at(s, "../outside.txt").error(), Errno::kNotCapable);
  EXPECT_EQ(open_at(s, "..").error(), Errno::kNotCapable);
  EXPECT_EQ(path_filestat_get(*s.context, kDir, 0, "../outside.txt").error(), Errno::kNotCapable);
}

TEST(WasiSandbox, RefusesAParentEscapeHiddenBehindASubdirectory) {
  Sandbox s;
  EXPECT_EQ(open_at(s, "sub/../../outside.txt").error(), Errno::kNotCapable);
  EXPECT_EQ(open_at(s, "sub/../sub/../../sandbox/inside.txt").error(), Errno::kNotCapable);
}

TEST(WasiSandbox, AllowsDotDotThatStaysInside) {
  Sandbox s;
  auto fd = open_at(s, "sub/../inside.txt");
  ASSERT_TRUE(fd.ok()) << errno_name(fd.error());
  EXPECT_EQ(read_all(s, *fd), "hello");
  EXPECT_TRUE(open_at(s, "./sub/./..//inside.txt").ok());
}

TEST(WasiSandbox, RefusesAnAbsolutePath) {
  Sandbox s;
  EXPECT_EQ(open_at(s, "/etc/passwd").error(), Errno::kNotCapable);
  // Even the host path of the preopen itself: guests only name paths relative to it.
  EXPECT_EQ(open_at(s, s.in("inside.txt")).error(), Errno::kNotCapable);
  EXPECT_EQ(path_create_directory(*s.context, kDir, "/tmp/wasi-escape"), Errno::kNotCapable);
  EXPECT_EQ(path_unlink_file(*s.context, kDir, s.root / "outside.txt"), Errno::kNotCapable);
  EXPECT_TRUE(s.root.exists("outside.txt"));
}

TEST(WasiSandbox, RefusesAnAbsoluteSymlinkPointingOutside) {
  Sandbox s;
  s.root.symlink(s.root / "outside.txt", "sandbox/abs");
  EXPECT_EQ(open_at(s, "abs").error(), Errno::kNotCapable);
  EXPECT_EQ(path_filestat_get(*s.context, kDir, kFollow, "abs").error(), Errno::kNotCapable);
}

TEST(WasiSandbox, RefusesARelativeSymlinkPointingOutside) {
  Sandbox s;
  s.root.symlink("../outside.txt", "sandbox/rel");
  EXPECT_EQ(open_at(s, "rel").error(), Errno::kNotCapable);
  EXPECT_EQ(path_filestat_get(*s.context, kDir, kFollow, "rel").error(), Errno::kNotCapable);
}

TEST(WasiSandbox, RefusesASymlinkChainLeadingOutside) {
  Sandbox s;
  s.root.symlink("sub/hop", "sandbox/first");
  s.root.symlink("../../outside.txt", "sandbox/sub/hop");
  EXPECT_EQ(open_at(s, "first").error(), Errno::kNotCapable);
}

TEST(WasiSandbox, RefusesASymlinkedDirectoryOutsideUsedAsAParent) {
  Sandbox s;
  s.root.symlink("..", "sandbox/up");
  EXPECT_EQ(open_at(s, "up/outside.txt").error(), Errno::kNotCapable);
  EXPECT_EQ(path_create_directory(*s.context, kDir, "up/made"), Errno::kNotCapable);
  EXPECT_EQ(path_unlink_file(*s.context, kDir, "up/outside.txt"), Errno::kNotCapable);
  EXPECT_EQ(path_filestat_get(*s.context, kDir, 0, "up/outside.txt").error(), Errno::kNotCapable);
  EXPECT_TRUE(s.root.exists("outside.txt"));
  EXPECT_FALSE(s.root.exists("made"));
}

TEST(WasiSandbox, FollowsASymlinkThatStaysInside) {
  Sandbox s;
  s.root.symlink("sub/../inside.txt", "sandbox/link");
  auto fd = open_at(s, "link");
  ASSERT_TRUE(fd.ok()) << errno_name(fd.error());
  EXPECT_EQ(read_all(s, *fd), "hello");
  EXPECT_EQ(path_filestat_get(*s.context, kDir, kFollow, "link")->filetype, FileType::kRegularFile);
  EXPECT_EQ(path_filestat_get(*s.context, kDir, 0, "link")->filetype, FileType::kSymbolicLink);
}

TEST(WasiSandbox, OpeningAFinalSymlinkWithoutFollowIsALoop) {
  Sandbox s;
  s.root.symlink("inside.txt", "sandbox/link");
  EXPECT_EQ(open_at(s, "link", /*lookup=*/0).error(), Errno::kLoop);
}

TEST(WasiSandbox, DescribesAnEscapingSymlinkItselfWhenNotFollowing) {
  Sandbox s;
  s.root.symlink("../outside.txt", "sandbox/rel");
  auto stat = path_filestat_get(*s.context, kDir, 0, "rel");
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->filetype, FileType::kSymbolicLink);
  std::uint8_t buffer[64];
  auto n = path_readlink(*s.context, kDir, "rel", buffer);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::string(reinterpret_cast<char*>(buffer), *n), "../outside.txt");
  // Removing it is fine too: it only touches the link.
  EXPECT_EQ(path_unlink_file(*s.context, kDir, "rel"), Errno::kSuccess);
  EXPECT_TRUE(s.root.exists("outside.txt"));
}

TEST(WasiSandbox, RefusesToRenameAFileOutOrIn) {
  Sandbox s;
  EXPECT_EQ(path_rename(*s.context, kDir, "inside.txt", kDir, "../stolen.txt"), Errno::kNotCapable);
  EXPECT_EQ(path_rename(*s.context, kDir, "../outside.txt", kDir, "taken.txt"), Errno::kNotCapable);
  s.root.symlink("..", "sandbox/up");
  EXPECT_EQ(path_rename(*s.context, kDir, "inside.txt", kDir, "up/stolen.txt"), Errno::kNotCapable);
  EXPECT_TRUE(s.root.exists("sandbox/inside.txt"));
  EXPECT_TRUE(s.root.exists("outside.txt"));
  EXPECT_FALSE(s.root.exists("stolen.txt"));
  EXPECT_FALSE(s.root.exists("sandbox/taken.txt"));
}

TEST(WasiSandbox, RefusesToHardLinkAFileFromOutside) {
  Sandbox s;
  EXPECT_EQ(path_link(*s.context, kDir, 0, "../outside.txt", kDir, "copy"), Errno::kNotCapable);
  EXPECT_EQ(path_link(*s.context, kDir, 0, "inside.txt", kDir, "../copy"), Errno::kNotCapable);
  s.root.symlink("../outside.txt", "sandbox/rel");
  EXPECT_EQ(path_link(*s.context, kDir, kFollow, "rel", kDir, "copy"), Errno::kNotCapable);
  EXPECT_FALSE(s.root.exists("sandbox/copy"));
  EXPECT_FALSE(s.root.exists("copy"));
  // Without following, the link is to the symlink itself, which still cannot be followed out.
  EXPECT_EQ(path_link(*s.context, kDir, 0, "rel", kDir, "copy"), Errno::kSuccess);
  EXPECT_EQ(path_filestat_get(*s.context, kDir, 0, "copy")->filetype, FileType::kSymbolicLink);
  EXPECT_EQ(open_at(s, "copy").error(), Errno::kNotCapable);
}

TEST(WasiSandbox, HardLinksThroughASymlinkThatStaysInside) {
  Sandbox s;
  s.root.symlink("inside.txt", "sandbox/link");
  ASSERT_EQ(path_link(*s.context, kDir, kFollow, "link", kDir, "sub/hard"), Errno::kSuccess);
  auto stat = path_filestat_get(*s.context, kDir, 0, "sub/hard");
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->filetype, FileType::kRegularFile);
  EXPECT_EQ(stat->nlink, 2u);
}

TEST(WasiSandbox, RefusesToCreateASymlinkThatWouldEscape) {
  Sandbox s;
  EXPECT_EQ(path_symlink(*s.context, "../outside.txt", kDir, "l1"), Errno::kNotCapable);
  EXPECT_EQ(path_symlink(*s.context, s.root / "outside.txt", kDir, "l2"), Errno::kNotCapable);
  EXPECT_EQ(path_symlink(*s.context, "../../x", kDir, "sub/l3"), Errno::kNotCapable);
  EXPECT_EQ(path_symlink(*s.context, "sub/../../x", kDir, "l4"), Errno::kNotCapable);
  EXPECT_EQ(path_symlink(*s.context, "x", kDir, "../l5"), Errno::kNotCapable);
  for (const char* name : {"sandbox/l1", "sandbox/l2", "sandbox/sub/l3", "sandbox/l4", "l5"}) {
    EXPECT_FALSE(s.root.exists(name)) << name;
  }
}

TEST(WasiSandbox, CreatesASymlinkThatStaysInsideAndFollowsIt) {
  Sandbox s;
  ASSERT_EQ(path_symlink(*s.context, "../inside.txt", kDir, "sub/up"), Errno::kSuccess);
  auto fd = open_at(s, "sub/up");
  ASSERT_TRUE(fd.ok()) << errno_name(fd.error());
  EXPECT_EQ(read_all(s, *fd), "hello");
  // Through a symlinked parent, the real depth counts: sub2 -> sub, so sub2/l2 lives in sub.
  ASSERT_EQ(path_symlink(*s.context, "sub", kDir, "sub2"), Errno::kSuccess);
  EXPECT_EQ(path_symlink(*s.context, "../inside.txt", kDir, "sub2/l2"), Errno::kSuccess);
  EXPECT_EQ(path_symlink(*s.context, "a/b/../../../x", kDir, "l3"), Errno::kNotCapable);
  EXPECT_EQ(path_symlink(*s.context, "", kDir, "l4"), Errno::kNoEnt);
  EXPECT_EQ(path_symlink(*s.context, "inside.txt", kDir, "inside.txt"), Errno::kExist);
}

TEST(WasiSandbox, RefusesPathsWithNulBytesOrInvalidUtf8) {
  Sandbox s;
  EXPECT_EQ(open_at(s, std::string("inside.txt\0../x", 15)).error(), Errno::kInval);
  EXPECT_EQ(path_create_directory(*s.context, kDir, std::string("a\0b", 3)), Errno::kInval);
  EXPECT_EQ(open_at(s, "\xff\xfe").error(), Errno::kIlseq);
  EXPECT_EQ(open_at(s, "\xed\xa0\x80").error(), Errno::kIlseq);  // a UTF-16 surrogate
  EXPECT_TRUE(open_at(s, "caf\xc3\xa9", kFollow, oflags::kCreat, kWriteRights).ok());
  EXPECT_EQ(open_at(s, "").error(), Errno::kNoEnt);
  EXPECT_EQ(open_at(s, std::string(5000, 'a')).error(), Errno::kNameTooLong);
}

TEST(WasiSandbox, ReportsNotADirectoryForPathOperationsOnAFile) {
  Sandbox s;
  auto file = open_at(s, "inside.txt");
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(open_at(s, "x", kFollow, 0, kReadRights, *file).error(), Errno::kNotDir);
  EXPECT_EQ(path_create_directory(*s.context, *file, "x"), Errno::kNotDir);
  EXPECT_EQ(path_unlink_file(*s.context, *file, "x"), Errno::kNotDir);
  EXPECT_EQ(path_filestat_get(*s.context, *file, 0, "x").error(), Errno::kNotDir);
  EXPECT_EQ(path_open(*s.context, 99, 0, "x", 0, 0, 0, 0).error(), Errno::kBadf);
  EXPECT_EQ(open_at(s, "inside.txt/", kFollow).error(), Errno::kNotDir);
}

TEST(WasiSandbox, TreatsAnOpenedSubdirectoryAsItsOwnBoundary) {
  Sandbox s;
  auto sub = open_at(s, "sub", kFollow, oflags::kDirectory, rights::kDirectory);
  ASSERT_TRUE(sub.ok()) << errno_name(sub.error());
  EXPECT_EQ(open_at(s, "../inside.txt", kFollow, 0, kReadRights, *sub).error(), Errno::kNotCapable);
  EXPECT_TRUE(open_at(s, "sub/../inside.txt", kFollow, 0, kReadRights, kDir).ok());
  EXPECT_EQ(path_symlink(*s.context, "../inside.txt", *sub, "l"), Errno::kNotCapable);
}

TEST(WasiSandbox, CreatesAndRemovesDirectories) {
  Sandbox s;
  EXPECT_EQ(path_create_directory(*s.context, kDir, "made"), Errno::kSuccess);
  EXPECT_TRUE(s.root.exists("sandbox/made"));
  EXPECT_EQ(path_create_directory(*s.context, kDir, "made"), Errno::kExist);
  EXPECT_EQ(path_create_directory(*s.context, kDir, "made/deeper/"), Errno::kSuccess);
  EXPECT_EQ(path_remove_directory(*s.context, kDir, "made"), Errno::kNotEmpty);
  EXPECT_EQ(path_remove_directory(*s.context, kDir, "made/deeper/"), Errno::kSuccess);
  EXPECT_EQ(path_remove_directory(*s.context, kDir, "made"), Errno::kSuccess);
  EXPECT_FALSE(s.root.exists("sandbox/made"));
  EXPECT_EQ(path_remove_directory(*s.context, kDir, "inside.txt"), Errno::kNotDir);
  EXPECT_EQ(path_remove_directory(*s.context, kDir, "."), Errno::kInval);
  EXPECT_EQ(path_remove_directory(*s.context, kDir, ".."), Errno::kNotCapable);
  EXPECT_NE(path_remove_directory(*s.context, kDir, "sub/.."), Errno::kSuccess);
  EXPECT_TRUE(s.root.exists("sandbox"));
  EXPECT_EQ(path_create_directory(*s.context, kDir, "."), Errno::kExist);
}

TEST(WasiSandbox, UnlinksFilesButNotDirectories) {
  Sandbox s;
  EXPECT_EQ(path_unlink_file(*s.context, kDir, "sub"), Errno::kIsDir);
  EXPECT_EQ(path_unlink_file(*s.context, kDir, "sub/"), Errno::kIsDir);
  EXPECT_EQ(path_unlink_file(*s.context, kDir, "inside.txt/"), Errno::kNotDir);
  EXPECT_EQ(path_unlink_file(*s.context, kDir, "missing"), Errno::kNoEnt);
  EXPECT_EQ(path_unlink_file(*s.context, kDir, "inside.txt"), Errno::kSuccess);
  EXPECT_FALSE(s.root.exists("sandbox/inside.txt"));
}

TEST(WasiSandbox, ReadsASymlinkTruncatedToTheBuffer) {
  Sandbox s;
  s.root.symlink("sub/target", "sandbox/l");
  std::uint8_t small[3];
  auto n = path_readlink(*s.context, kDir, "l", small);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 3u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(small), 3), "sub");
  EXPECT_EQ(path_readlink(*s.context, kDir, "inside.txt", small).error(), Errno::kInval);
  EXPECT_EQ(path_readlink(*s.context, kDir, "l", std::span<std::uint8_t>()).value(), 0u);
}

TEST(WasiSandbox, RenamesAndLinksInside) {
  Sandbox s;
  ASSERT_EQ(path_rename(*s.context, kDir, "inside.txt", kDir, "sub/moved.txt"), Errno::kSuccess);
  EXPECT_FALSE(s.root.exists("sandbox/inside.txt"));
  ASSERT_EQ(path_link(*s.context, kDir, 0, "sub/moved.txt", kDir, "again.txt"), Errno::kSuccess);
  EXPECT_EQ(path_filestat_get(*s.context, kDir, 0, "again.txt")->nlink, 2u);
  EXPECT_EQ(path_link(*s.context, kDir, 0, "sub", kDir, "subcopy"), Errno::kPerm);
  EXPECT_EQ(path_link(*s.context, kDir, 0, "again.txt", kDir, "sub/moved.txt"), Errno::kExist);
  EXPECT_EQ(path_rename(*s.context, kDir, "again.txt/", kDir, "x"), Errno::kNotDir);
  EXPECT_EQ(path_rename(*s.context, kDir, "again.txt", kDir, "x/"), Errno::kNotDir);
  EXPECT_EQ(path_rename(*s.context, kDir, "sub/", kDir, "sub2/"), Errno::kSuccess);
}

TEST(WasiSandbox, CreatesTruncatesAndRefusesExclusiveReuse) {
  Sandbox s;
  auto fresh = open_at(s, "new.txt", kFollow, oflags::kCreat | oflags::kExcl, kWriteRights);
  ASSERT_TRUE(fresh.ok()) << errno_name(fresh.error());
  EXPECT_EQ(open_at(s, "new.txt", kFollow, oflags::kCreat | oflags::kExcl, kWriteRights).error(),
            Errno::kExist);
  auto truncated = open_at(s, "inside.txt", kFollow, oflags::kTrunc, kWriteRights);
  ASSERT_TRUE(truncated.ok());
  EXPECT_EQ(fd_filestat_get(*s.context, *truncated)->size, 0u);
  EXPECT_EQ(open_at(s, "inside.txt", kFollow, oflags::kDirectory).error(), Errno::kNotDir);
  EXPECT_EQ(open_at(s, "missing").error(), Errno::kNoEnt);
  EXPECT_EQ(open_at(s, "x", kFollow, 0x100).error(), Errno::kInval);
}

TEST(WasiSandbox, OpensDirectoriesForReadingOnly) {
  Sandbox s;
  auto dir = open_at(s, "sub", kFollow, oflags::kDirectory, kReadRights);
  ASSERT_TRUE(dir.ok()) << errno_name(dir.error());
  EXPECT_EQ(fd_fdstat_get(*s.context, *dir)->filetype, FileType::kDirectory);
  EXPECT_TRUE(open_at(s, "sub", kFollow, 0, kReadRights).ok());  // no DIRECTORY flag needed
  EXPECT_EQ(open_at(s, "sub", kFollow, oflags::kDirectory, kWriteRights).error(), Errno::kIsDir);
  EXPECT_EQ(open_at(s, "sub", kFollow, 0, kWriteRights).error(), Errno::kIsDir);
  EXPECT_EQ(open_at(s, "sub", kFollow, oflags::kDirectory | oflags::kCreat).error(), Errno::kInval);
  EXPECT_EQ(open_at(s, "sub", kFollow, oflags::kDirectory | oflags::kTrunc).error(), Errno::kInval);
}

TEST(WasiSandbox, CreatingThroughADanglingSymlinkOutsideIsRefused) {
  Sandbox s;
  s.root.symlink("../created-outside.txt", "sandbox/dangling");
  EXPECT_EQ(open_at(s, "dangling", kFollow, oflags::kCreat, kWriteRights).error(),
            Errno::kNotCapable);
  EXPECT_FALSE(s.root.exists("created-outside.txt"));
}

TEST(WasiSandbox, SetsTimesThroughASymlinkOnlyInside) {
  Sandbox s;
  s.root.symlink("inside.txt", "sandbox/link");
  s.root.symlink("../outside.txt", "sandbox/rel");
  const std::uint64_t t = 1'000'000'000ull * 86400 * 365;  // 1971
  struct stat before {};
  ::stat((s.root / "outside.txt").c_str(), &before);
  EXPECT_EQ(path_filestat_set_times(*s.context, kDir, kFollow, "link", t, t,
                                    fstflags::kAtim | fstflags::kMtim),
            Errno::kSuccess);
  EXPECT_EQ(path_filestat_get(*s.context, kDir, 0, "inside.txt")->mtim, t);
  EXPECT_EQ(path_filestat_set_times(*s.context, kDir, kFollow, "rel", t, t,
                                    fstflags::kAtim | fstflags::kMtim),
            Errno::kNotCapable);
  struct stat after {};
  ::stat((s.root / "outside.txt").c_str(), &after);
  EXPECT_EQ(before.st_mtim.tv_sec, after.st_mtim.tv_sec);
  // Without following, the link's own times change and the escape target is untouched.
  EXPECT_EQ(
      path_filestat_set_times(*s.context, kDir, 0, "rel", t, t, fstflags::kAtim | fstflags::kMtim),
      Errno::kSuccess);
  EXPECT_EQ(path_filestat_get(*s.context, kDir, 0, "rel")->mtim, t);
  EXPECT_EQ(path_filestat_set_times(*s.context, kDir, 0, "link", t, t,
                                    fstflags::kMtim | fstflags::kMtimNow),
            Errno::kInval);
}

TEST(WasiSandbox, ChecksTheDirectoryRightsOfEveryPathOperation) {
  Sandbox s;
  ASSERT_EQ(fd_fdstat_set_rights(*s.context, kDir, rights::kPathFilestatGet, rights::kAll),
            Errno::kSuccess);
  EXPECT_EQ(open_at(s, "inside.txt").error(), Errno::kNotCapable);
  EXPECT_EQ(path_create_directory(*s.context, kDir, "x"), Errno::kNotCapable);
  EXPECT_EQ(path_unlink_file(*s.context, kDir, "inside.txt"), Errno::kNotCapable);
  EXPECT_TRUE(path_filestat_get(*s.context, kDir, 0, "inside.txt").ok());
}

TEST(WasiSandbox, DropsRightsTheDirectoryCannotPassOn) {
  Sandbox s;
  ASSERT_EQ(
      fd_fdstat_set_rights(*s.context, kDir, rights::kDirectory, rights::kAll & ~rights::kFdWrite),
      Errno::kSuccess);
  auto fd = open_at(s, "inside.txt", kFollow, 0, kWriteRights);
  ASSERT_TRUE(fd.ok());
  EXPECT_EQ(fd_fdstat_get(*s.context, *fd)->rights_base & rights::kFdWrite, 0u);
  std::uint8_t byte = 'x';
  std::span<std::uint8_t> spans[] = {std::span<std::uint8_t>(&byte, 1)};
  EXPECT_EQ(fd_write(*s.context, nullptr, *fd, spans).error(), Errno::kBadf);  // opened read-only
}

TEST(WasiSandboxPaths, ChecksPathsBeforeAnyLookup) {
  EXPECT_EQ(sandbox::check_path("a/b"), Errno::kSuccess);
  EXPECT_EQ(sandbox::check_path("/a"), Errno::kNotCapable);
  EXPECT_EQ(sandbox::check_path(""), Errno::kNoEnt);
  EXPECT_EQ(sandbox::check_path(std::string_view("a\0", 2)), Errno::kInval);
  EXPECT_EQ(sandbox::check_path("\xc0\xaf"), Errno::kIlseq);  // overlong "/"
  EXPECT_EQ(sandbox::check_path("\xf0\x9f\x98\x80"), Errno::kSuccess);
}

TEST(WasiSandboxPaths, LocatesTheParentAndLastComponent) {
  Sandbox s;
  int dir = s.context->fds().get(kDir)->fd();
  auto at = sandbox::locate(dir, "sub//file.txt//");
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at->leaf, "file.txt");
  EXPECT_TRUE(at->trailing_slash);
  EXPECT_EQ(at->parent_path, "sub/");
  auto dot = sandbox::locate(dir, "sub/..");
  ASSERT_TRUE(dot.ok());
  EXPECT_EQ(dot->leaf, ".");
  EXPECT_EQ(sandbox::locate(dir, "sub/../..").error(), Errno::kNotCapable);
}

TEST(WasiSandboxPaths, ChasesSymlinksAndStopsLoops) {
  Sandbox s;
  s.root.symlink("loop2", "sandbox/loop1");
  s.root.symlink("loop1", "sandbox/loop2");
  s.root.symlink("sub", "sandbox/to-sub");
  s.root.symlink("to-sub/../inside.txt", "sandbox/via");
  int dir = s.context->fds().get(kDir)->fd();
  EXPECT_EQ(sandbox::locate_following(dir, "loop1").error(), Errno::kLoop);
  auto at = sandbox::locate_following(dir, "via");
  ASSERT_TRUE(at.ok());
  EXPECT_EQ(at->leaf, "inside.txt");
}

}  // namespace
}  // namespace lunatic::wasi
