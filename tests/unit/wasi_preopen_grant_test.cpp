// A process passes part of what it can reach to a child (lunatic::wasi::config_preopen_dir):
// the grant names a directory inside one of its preopens, and nothing outside.
#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "wasi/preopen_grant.hpp"
#include "wasi_test_support.hpp"

namespace lunatic::wasi {
namespace {

class PreopenGrant : public ::testing::Test {
 protected:
  void SetUp() override {
    root.mkdir("box");
    root.mkdir("box/sub");
    root.write("box/sub/inside.txt", "inside");
    root.mkdir("outside");
    root.write("outside/secret.txt", "secret");
    root.symlink("../outside", "box/link_out");
    root.symlink("sub", "box/link_in");
    reachable = {testing::granted(root / "box", "box")};
  }

  // What the granted directory holds, read through its handle: proves which directory it is.
  std::string read_through(const Preopen& preopen, const std::string& name) {
    int fd = ::openat(preopen.directory->get(), name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "<cannot open>";
    char buffer[64] = {};
    const ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
    ::close(fd);
    return n > 0 ? std::string(buffer, static_cast<std::size_t>(n)) : "";
  }

  testing::TempDir root;
  std::vector<Preopen> reachable;
};

TEST_F(PreopenGrant, ADirectoryInsideAPreopenIsGrantedUnderTheNameTheCallerUsed) {
  auto granted = narrow_preopen(reachable, "box/sub");
  ASSERT_TRUE(granted) << granted.error().message;
  EXPECT_EQ(granted->guest_path, "box/sub");
  EXPECT_EQ(read_through(*granted, "inside.txt"), "inside");
}

TEST_F(PreopenGrant, ThePreopenItselfAndATrailingSlashAreGranted) {
  for (const char* path : {"box", "box/", "box/sub/"}) {
    auto granted = narrow_preopen(reachable, path);
    EXPECT_TRUE(granted) << path << ": " << granted.error().message;
  }
}

TEST_F(PreopenGrant, DotDotAbsolutePathsAndSymlinksThatLeaveThePreopenAreRefused) {
  for (const char* path : {"box/..", "box/../outside", "box/sub/../../outside", "box/link_out", "/",
                           "/etc", "outside", "../outside", "boxx", "bo"}) {
    auto granted = narrow_preopen(reachable, path);
    EXPECT_FALSE(granted) << path << " was granted";
  }
}

TEST_F(PreopenGrant, ASymlinkThatStaysInsideIsFollowed) {
  auto granted = narrow_preopen(reachable, "box/link_in");
  ASSERT_TRUE(granted) << granted.error().message;
  EXPECT_EQ(read_through(*granted, "inside.txt"), "inside");
}

TEST_F(PreopenGrant, AFileOrAMissingDirectoryIsRefusedWithTheReason) {
  auto file = narrow_preopen(reachable, "box/sub/inside.txt");
  ASSERT_FALSE(file);
  EXPECT_NE(file.error().message.find("not a directory"), std::string::npos)
      << file.error().message;
  auto missing = narrow_preopen(reachable, "box/nothing");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("box/nothing"), std::string::npos);
}

TEST_F(PreopenGrant, AProcessWithoutPreopensCanGrantNothing) {
  auto granted = narrow_preopen({}, "box");
  ASSERT_FALSE(granted);
  EXPECT_NE(granted.error().message.find("it has none"), std::string::npos);
  EXPECT_FALSE(narrow_preopen(reachable, ""));
  EXPECT_FALSE(narrow_preopen(reachable, std::string("box\0sub", 7)));
}

TEST_F(PreopenGrant, ThePreopenNamedDotCoversRelativePathsAndTheLongestNameWins) {
  root.mkdir("box/sub/deeper");
  std::vector<Preopen> both = {testing::granted(root / "outside", "."),
                               testing::granted(root / "box", "box")};
  auto relative = narrow_preopen(both, "./");
  ASSERT_TRUE(relative) << relative.error().message;
  EXPECT_EQ(read_through(*relative, "secret.txt"), "secret");
  auto named = narrow_preopen(both, "box/sub");
  ASSERT_TRUE(named) << named.error().message;
  EXPECT_EQ(read_through(*named, "inside.txt"), "inside");
}

TEST_F(PreopenGrant, AGrantOfAGrantStaysInsideTheFirst) {
  auto sub = narrow_preopen(reachable, "box/sub");
  ASSERT_TRUE(sub);
  std::vector<Preopen> child = {*sub};
  EXPECT_FALSE(narrow_preopen(child, "box/sub/.."));
  EXPECT_FALSE(narrow_preopen(child, "box"));
  EXPECT_TRUE(narrow_preopen(child, "box/sub/."));
}

}  // namespace
}  // namespace lunatic::wasi
