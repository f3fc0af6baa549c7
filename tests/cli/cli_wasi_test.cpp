// CLI tests. WASI: files inside preopens, escapes from them, clocks and entropy.
#include "support/cli_support.hpp"

#include <cstdlib>
#include <ctime>
#include <set>
#include <string>

namespace {

using namespace cli_test;

class Wasi : public CliTest {};

const std::string kFsOpsExpected =
    "ok read a file the host wrote\n"
    "ok mkdir sub\n"
    "ok stat sub is a directory\n"
    "ok create sub/a.txt\n"
    "ok write 11 bytes\n"
    "ok close after write\n"
    "ok O_EXCL on an existing file fails with EEXIST\n"
    "ok open sub/a.txt read-write\n"
    "ok read it back\n"
    "ok seek to 6\n"
    "ok read 4 bytes at 6\n"
    "ok seek to the end\n"
    "ok append 5 bytes\n"
    "ok seek back 5 from the end\n"
    "ok read the appended bytes\n"
    "ok fstat: regular, 16 bytes\n"
    "ok close after read\n"
    "ok stat: 16 bytes\n"
    "ok rename a.txt to b.txt\n"
    "ok a.txt is gone\n"
    "ok b.txt has the content\n"
    "ok symlink link -> b.txt\n"
    "ok readlink gives b.txt\n"
    "ok lstat sees a symlink\n"
    "ok open through the symlink\n"
    "ok readdir sub lists b.txt and link\n"
    "ok write out.txt\n"
    "ok unlink link\n"
    "ok unlink b.txt\n"
    "ok sub is empty\n"
    "ok rmdir sub\n"
    "ok sub is gone\n"
    "ok mkdir keepdir\n"
    "done\n";

void expect_fs_ops_effects(const fs::path& box) {
  EXPECT_EQ(read_file(box / "input.txt"), "from the host\n");
  EXPECT_EQ(read_file(box / "out.txt"), "written by the guest\n");
  EXPECT_TRUE(fs::is_directory(box / "keepdir"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(box / "sub")));
  std::set<std::string> names;
  for (auto& e : fs::directory_iterator(box)) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"input.txt", "out.txt", "keepdir"}));
}

TEST_F(Wasi, FileOperationsWorkInsideAPreopenMappedToAGuestPath) {
  fs::path box = dir_ / "box";
  fs::create_directories(box);
  write_file(box / "input.txt", "from the host\n");
  auto r = lunatic({"run", "--dir", box.string() + ":/data", guest("fs_ops"), "/data"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, kFsOpsExpected) << describe(r);
  expect_fs_ops_effects(box);
}

TEST_F(Wasi, FileOperationsWorkInsideAPreopenUnderItsHostPath) {
  fs::path box = dir_ / "box";
  fs::create_directories(box);
  write_file(box / "input.txt", "from the host\n");
  auto r = lunatic({"run", "--dir", box.string(), guest("fs_ops"), box.string()});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, kFsOpsExpected) << describe(r);
  expect_fs_ops_effects(box);
}

TEST_F(Wasi, FileOperationsWorkInTheSecondOfTwoPreopens) {
  fs::path first = dir_ / "first";
  fs::path box = dir_ / "box";
  fs::create_directories(first);
  fs::create_directories(box);
  write_file(box / "input.txt", "from the host\n");
  auto r = lunatic({"run", "--dir", first.string() + ":/first", "--dir", box.string() + ":/data",
                    guest("fs_ops"), "/data"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, kFsOpsExpected) << describe(r);
  expect_fs_ops_effects(box);
  EXPECT_TRUE(fs::is_empty(first));
}

TEST_F(Wasi, ANonExistentPreopenDirectoryIsRefusedAndNamed) {
  std::string missing = (dir_ / "no-such-dir").string();
  auto r = lunatic({"run", "--dir", missing + ":/data", guest("hello")});
  expect_refusal_after_compile(r);
  EXPECT_TRUE(contains(r.err, missing)) << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
}

// Lays out the escape playground of fs_escape.c under `root`; returns the preopen.
fs::path make_escape_playground(const fs::path& root) {
  fs::path box = root / "box";
  fs::create_directories(box / "sub");
  write_file(root / "secret.txt", "TOPSECRET\n");
  write_file(box / "inside.txt", "inside\n");
  fs::create_symlink(root / "secret.txt", box / "abs_link");
  fs::create_symlink("../secret.txt", box / "rel_link");
  fs::create_directory_symlink(root, box / "dir_link");
  fs::create_symlink("../../secret.txt", box / "sub" / "up_link");
  return box;
}

// Every attempt to leave the preopen is denied with ENOTCAPABLE, and nothing outside changed.
void expect_escapes_denied(const RunResult& r, const fs::path& root) {
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_FALSE(contains(r.out, "TOPSECRET")) << "the guest read the outside file" << describe(r);
  EXPECT_TRUE(contains(r.out, "\ndone\n")) << describe(r);
  auto kv = key_values(r.out);
  const char* must_be_enotcapable[] = {
      "open ../secret.txt",
      "open sub/../../secret.txt",
      "open /etc/passwd",
      "open the outside file by its host path",
      "open abs_link",
      "open rel_link",
      "open dir_link/secret.txt",
      "open sub/up_link",
      "write through rel_link",
      "stat ../secret.txt",
      "opendir ..",
      "create ../created.txt",
      "mkdir ../newdir",
      "unlink ../secret.txt",
      "rename inside.txt to ../moved.txt",
      "rename ../secret.txt to stolen.txt",
      "link inside.txt to ../linked.txt",
      "link ../secret.txt to hardlink.txt",
  };
  for (const char* attempt : must_be_enotcapable) {
    EXPECT_EQ(kv[attempt], "denied (errno 76)") << "attempt: " << attempt << describe(r);
  }
  // Making a symlink that points out may be allowed or refused; following it must be denied.
  for (const char* attempt : {"open made_abs_link", "open made_rel_link"}) {
    EXPECT_EQ(kv[attempt].rfind("denied", 0), 0u) << "attempt: " << attempt << describe(r);
  }

  // On the host: nothing outside the preopen was created, moved, changed or removed.
  EXPECT_EQ(read_file(root / "secret.txt"), "TOPSECRET\n");
  std::set<std::string> outside;
  for (auto& e : fs::directory_iterator(root)) outside.insert(e.path().filename().string());
  EXPECT_EQ(outside, (std::set<std::string>{"box", "secret.txt"}));
  fs::path box = root / "box";
  EXPECT_EQ(read_file(box / "inside.txt"), "inside\n");
  EXPECT_FALSE(fs::exists(fs::symlink_status(box / "stolen.txt")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(box / "hardlink.txt")));
  std::error_code ec;
  EXPECT_EQ(fs::hard_link_count(root / "secret.txt", ec), 1u);
  EXPECT_EQ(fs::hard_link_count(box / "inside.txt", ec), 1u);
}

TEST_F(Wasi, EscapesFromAPreopenMappedToAGuestPathAreDenied) {
  fs::path root = dir_ / "root";
  fs::path box = make_escape_playground(root);
  auto r = lunatic({"run", "--dir", box.string() + ":/data", guest("fs_escape"), "/data",
                    (root / "secret.txt").string()});
  expect_escapes_denied(r, root);
}

TEST_F(Wasi, EscapesFromAPreopenUnderItsHostPathAreDenied) {
  fs::path root = dir_ / "root";
  fs::path box = make_escape_playground(root);
  auto r = lunatic({"run", "--dir", box.string(), guest("fs_escape"), box.string(),
                    (root / "secret.txt").string()});
  expect_escapes_denied(r, root);
}

TEST_F(Wasi, DotDotThatStaysInsideThePreopenIsAllowed) {
  fs::path root = dir_ / "root";
  fs::path box = make_escape_playground(root);
  auto r = lunatic({"run", "--dir", box.string() + ":/data", guest("fs_escape"), "/data",
                    (root / "secret.txt").string()});
  EXPECT_EXIT_CODE(r, 0);
  auto kv = key_values(r.out);
  EXPECT_EQ(kv["inside open inside.txt"], "ALLOWED read 'inside'") << describe(r);
  EXPECT_EQ(kv["inside open sub/../inside.txt"], "ALLOWED read 'inside'") << describe(r);
}

TEST_F(Wasi, WithoutDirTheGuestSeesNoFiles) {
  fs::path root = dir_ / "root";
  fs::path box = make_escape_playground(root);
  // The guest is told about the directory, but it was not preopened.
  auto r = lunatic({"run", guest("fs_escape"), box.string(), (root / "secret.txt").string()});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_FALSE(contains(r.out, "ALLOWED")) << describe(r);
  EXPECT_FALSE(contains(r.out, "created\n")) << describe(r);
  EXPECT_EQ(key_values(r.out)["inside open inside.txt"], "denied (errno 76)") << describe(r);
  EXPECT_EQ(key_values(r.out)["open /etc/passwd"], "denied (errno 76)") << describe(r);
  std::set<std::string> names;
  for (auto& e : fs::directory_iterator(box)) names.insert(e.path().filename().string());
  EXPECT_EQ(names,
            (std::set<std::string>{"abs_link", "dir_link", "inside.txt", "rel_link", "sub"}));
}

TEST_F(Wasi, MonotonicClockSleepAndEntropyWork) {
  auto r = lunatic({"run", guest("clock_sleep")});
  EXPECT_EXIT_CODE(r, 0);
  auto kv = key_values(r.out);
  EXPECT_EQ(kv["monotonic"], "ok") << describe(r);
  EXPECT_EQ(kv["slept at least 10 ms"], "ok") << describe(r);
  EXPECT_EQ(kv["getentropy"], "ok") << describe(r);
  auto line = line_containing(r.out, "realtime=");
  ASSERT_TRUE(line.has_value()) << describe(r);
  long long guest_now = std::atoll(line->c_str() + 9);
  long long host_now = static_cast<long long>(std::time(nullptr));
  EXPECT_LE(std::llabs(host_now - guest_now), 300) << "CLOCK_REALTIME is off: " << *line;
}

}  // namespace
