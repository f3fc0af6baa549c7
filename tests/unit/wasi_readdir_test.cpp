// fd_readdir: dirent encoding, cookies, and a full walk the way wasi-libc's readdir() does it.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "wasi/fd_service.hpp"
#include "wasi/path_service.hpp"
#include "wasi/readdir.hpp"
#include "wasi_test_support.hpp"

namespace lunatic::wasi {
namespace {

struct Header {
  std::uint64_t next;
  std::uint64_t ino;
  std::uint32_t namlen;
  std::uint8_t type;
};

Header header_at(const std::vector<std::uint8_t>& bytes, std::size_t offset) {
  Header h{};
  std::memcpy(&h.next, bytes.data() + offset, 8);
  std::memcpy(&h.ino, bytes.data() + offset + 8, 8);
  std::memcpy(&h.namlen, bytes.data() + offset + 16, 4);
  h.type = bytes[offset + 20];
  return h;
}

const std::vector<DirRecord> kRecords = {
    {".", 10, FileType::kDirectory},
    {"..", 0, FileType::kDirectory},
    {"file.txt", 11, FileType::kRegularFile},
    {"link", 12, FileType::kSymbolicLink},
};

TEST(WasiReaddir, EncodesEachRecordAsAHeaderFollowedByItsName) {
  std::vector<std::uint8_t> out(1024, 0xAA);
  std::size_t used = encode_dirents(kRecords, 0, out);
  EXPECT_EQ(used, 4 * kDirentSize + 1 + 2 + 8 + 4);
  std::size_t offset = 0;
  for (std::size_t i = 0; i < kRecords.size(); ++i) {
    Header h = header_at(out, offset);
    EXPECT_EQ(h.next, i + 1);
    EXPECT_EQ(h.ino, kRecords[i].ino);
    EXPECT_EQ(h.namlen, kRecords[i].name.size());
    EXPECT_EQ(h.type, static_cast<std::uint8_t>(kRecords[i].type));
    EXPECT_EQ(out[offset + 21], 0);  // padding is zeroed
    EXPECT_EQ(std::string(reinterpret_cast<char*>(&out[offset + kDirentSize]), h.namlen),
              kRecords[i].name);
    offset += kDirentSize + h.namlen;
  }
  EXPECT_EQ(out[used], 0xAA);  // nothing written past the end
}

TEST(WasiReaddir, ResumesAtTheCookieOfTheLastEntryRead) {
  std::vector<std::uint8_t> out(1024);
  std::size_t used = encode_dirents(kRecords, 2, out);
  EXPECT_EQ(used, 2 * kDirentSize + 8 + 4);
  EXPECT_EQ(header_at(out, 0).next, 3u);
  EXPECT_EQ(std::string(reinterpret_cast<char*>(&out[kDirentSize]), 8), "file.txt");
}

TEST(WasiReaddir, CutsTheLastEntryWhenTheBufferIsFull) {
  std::vector<std::uint8_t> out(kDirentSize + 1 + 10);  // "." whole, then 10 bytes of ".."
  std::size_t used = encode_dirents(kRecords, 0, out);
  EXPECT_EQ(used, out.size());
  std::vector<std::uint8_t> tiny(5);
  EXPECT_EQ(encode_dirents(kRecords, 0, tiny), 5u);  // even a header may be cut
}

TEST(WasiReaddir, ReturnsNothingPastTheEnd) {
  std::vector<std::uint8_t> out(64);
  EXPECT_EQ(encode_dirents(kRecords, 4, out), 0u);
  EXPECT_EQ(encode_dirents(kRecords, 1000, out), 0u);
  EXPECT_EQ(encode_dirents(kRecords, 0, std::span<std::uint8_t>()), 0u);
}

TEST(WasiReaddir, ListsDotAndDotDotFirstThenEveryEntryWithItsType) {
  testing::TempDir dir;
  dir.write("a.txt", "x");
  dir.mkdir("sub");
  dir.symlink("a.txt", "ln");
  int fd = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  auto listing = list_directory(fd);
  ::close(fd);
  ASSERT_TRUE(listing.ok());
  const auto& records = listing->records;
  ASSERT_EQ(records.size(), 5u);
  EXPECT_EQ(records[0].name, ".");
  EXPECT_NE(records[0].ino, 0u);
  EXPECT_EQ(records[1].name, "..");
  EXPECT_EQ(records[1].ino, 0u);  // never looked up: it may lie outside the sandbox
  auto type_of = [&](const std::string& name) {
    auto it = std::find_if(records.begin(), records.end(),
                           [&](const DirRecord& r) { return r.name == name; });
    return it == records.end() ? FileType::kUnknown : it->type;
  };
  EXPECT_EQ(type_of("a.txt"), FileType::kRegularFile);
  EXPECT_EQ(type_of("sub"), FileType::kDirectory);
  EXPECT_EQ(type_of("ln"), FileType::kSymbolicLink);
}

// wasi-libc's readdir(): refill from the last cookie whenever the buffer runs out, grow the
// buffer when one entry does not fit, and stop when a read returns less than a full buffer.
std::vector<std::string> walk_like_wasi_libc(WasiContext& context, std::uint32_t fd,
                                             std::size_t buffer_size, int* reads) {
  std::vector<std::uint8_t> buffer(buffer_size);
  std::vector<std::string> names;
  std::uint64_t cookie = 0;
  std::size_t used = buffer.size();
  std::size_t processed = buffer.size();
  for (;;) {
    std::size_t left = used - processed;
    bool refill = false;
    if (left < kDirentSize) {
      if (used < buffer.size()) return names;
      refill = true;
    } else {
      Header h = header_at(buffer, processed);
      std::size_t entry_size = kDirentSize + h.namlen;
      if (left < entry_size) {
        if (buffer.size() < entry_size) buffer.resize(std::max(entry_size, buffer.size() * 2));
        refill = true;
      } else {
        names.emplace_back(reinterpret_cast<char*>(&buffer[processed + kDirentSize]), h.namlen);
        cookie = h.next;
        processed += entry_size;
      }
    }
    if (refill) {
      ++*reads;
      auto n = fd_readdir(context, fd, buffer, cookie);
      if (!n.ok()) return {};
      used = *n;
      processed = 0;
    }
  }
}

TEST(WasiReaddir, AWalkWithASmallBufferSeesEveryEntryExactlyOnce) {
  testing::Sandbox s;
  std::set<std::string> expected = {".", "..", "inside.txt", "sub"};
  for (int i = 0; i < 60; ++i) {
    std::string name =
        "entry-" + std::string(static_cast<std::size_t>(i % 7) * 9, 'n') + std::to_string(i);
    s.root.write("sandbox/" + name, "");
    expected.insert(name);
  }
  s.root.write("sandbox/" + std::string(200, 'L'), "");  // longer than the first buffer
  expected.insert(std::string(200, 'L'));

  for (std::size_t size : {std::size_t{40}, std::size_t{128}, std::size_t{4096}}) {
    int reads = 0;
    auto names = walk_like_wasi_libc(*s.context, testing::Sandbox::kDir, size, &reads);
    std::multiset<std::string> seen(names.begin(), names.end());
    EXPECT_EQ(seen.size(), expected.size()) << "buffer " << size;
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), expected) << "buffer " << size;
    EXPECT_GT(reads, 0);
  }
}

TEST(WasiReaddir, StartsAFreshSnapshotWhenReadFromCookieZero) {
  testing::Sandbox s;
  std::vector<std::uint8_t> buffer(4096);
  auto first = fd_readdir(*s.context, testing::Sandbox::kDir, buffer, 0);
  ASSERT_TRUE(first.ok());
  s.root.write("sandbox/late.txt", "");
  auto again = fd_readdir(*s.context, testing::Sandbox::kDir, buffer, 0);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *first + kDirentSize + 8);
}

TEST(WasiReaddir, RefusesFilesAndUnknownDescriptors) {
  testing::Sandbox s;
  auto file = path_open(*s.context, testing::Sandbox::kDir, 0, "inside.txt", 0, rights::kAll,
                        rights::kAll, 0);
  ASSERT_TRUE(file.ok());
  std::vector<std::uint8_t> buffer(64);
  EXPECT_EQ(fd_readdir(*s.context, *file, buffer, 0).error(), Errno::kNotDir);
  EXPECT_EQ(fd_readdir(*s.context, 77, buffer, 0).error(), Errno::kBadf);
}

}  // namespace
}  // namespace lunatic::wasi
