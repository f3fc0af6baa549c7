#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "wasi/fd_table.hpp"

namespace lunatic::wasi {
namespace {

// An entry owning a fresh host descriptor (of /dev/null).
FdEntry owned_entry() {
  FdEntry entry;
  entry.host = UniqueFd(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  entry.type = FileType::kCharacterDevice;
  return entry;
}

bool host_fd_open(int fd) { return ::fcntl(fd, F_GETFD) != -1; }

TEST(WasiFdTable, GivesNewDescriptorsTheLowestFreeNumberFromThree) {
  FdTable table;
  EXPECT_EQ(table.insert(owned_entry()).value(), 3u);
  EXPECT_EQ(table.insert(owned_entry()).value(), 4u);
  EXPECT_EQ(table.insert(owned_entry()).value(), 5u);
  EXPECT_EQ(table.close(4), Errno::kSuccess);
  EXPECT_EQ(table.close(3), Errno::kSuccess);
  EXPECT_EQ(table.insert(owned_entry()).value(), 3u);
  EXPECT_EQ(table.insert(owned_entry()).value(), 4u);
  EXPECT_EQ(table.insert(owned_entry()).value(), 6u);
}

TEST(WasiFdTable, NeverHandsOutAClosedStandardStreamNumberAgain) {
  FdTable table;
  table.place(0, owned_entry());
  EXPECT_EQ(table.close(0), Errno::kSuccess);
  EXPECT_EQ(table.get(0), nullptr);
  EXPECT_EQ(table.insert(owned_entry()).value(), 3u);
}

TEST(WasiFdTable, ClosesTheHostDescriptorOfAClosedEntry) {
  FdTable table;
  auto fd = table.insert(owned_entry()).value();
  int host = table.get(fd)->fd();
  ASSERT_TRUE(host_fd_open(host));
  EXPECT_EQ(table.close(fd), Errno::kSuccess);
  EXPECT_FALSE(host_fd_open(host));
  EXPECT_EQ(table.close(fd), Errno::kBadf);
}

TEST(WasiFdTable, LeavesABorrowedDescriptorOpen) {
  int host = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  {
    FdTable table;
    FdEntry entry;
    entry.host = UniqueFd(host, /*owned=*/false);
    table.place(1, std::move(entry));
    EXPECT_EQ(table.close(1), Errno::kSuccess);
    table.place(2, [&] {
      FdEntry again;
      again.host = UniqueFd(host, false);
      return again;
    }());
  }
  EXPECT_TRUE(host_fd_open(host));
  ::close(host);
}

TEST(WasiFdTable, RenumberMovesTheEntryClosesTheTargetAndFreesTheSource) {
  FdTable table;
  auto a = table.insert(owned_entry()).value();  // 3
  auto b = table.insert(owned_entry()).value();  // 4
  int host_a = table.get(a)->fd();
  int host_b = table.get(b)->fd();
  EXPECT_EQ(table.renumber(a, b), Errno::kSuccess);
  EXPECT_EQ(table.get(a), nullptr);
  ASSERT_NE(table.get(b), nullptr);
  EXPECT_EQ(table.get(b)->fd(), host_a);
  EXPECT_FALSE(host_fd_open(host_b));
  EXPECT_TRUE(host_fd_open(host_a));
  EXPECT_EQ(table.insert(owned_entry()).value(), 3u);  // the freed source is reused
}

TEST(WasiFdTable, RenumberNeedsBothDescriptorsOpen) {
  FdTable table;
  auto a = table.insert(owned_entry()).value();
  EXPECT_EQ(table.renumber(a, 9), Errno::kBadf);
  EXPECT_EQ(table.renumber(9, a), Errno::kBadf);
  EXPECT_NE(table.get(a), nullptr);
}

TEST(WasiFdTable, RenumberOntoItselfChangesNothing) {
  FdTable table;
  auto a = table.insert(owned_entry()).value();
  int host = table.get(a)->fd();
  EXPECT_EQ(table.renumber(a, a), Errno::kSuccess);
  ASSERT_NE(table.get(a), nullptr);
  EXPECT_EQ(table.get(a)->fd(), host);
  EXPECT_TRUE(host_fd_open(host));
}

TEST(WasiFdTable, RefusesNewDescriptorsBeyondItsLimit) {
  FdTable table(5);
  EXPECT_TRUE(table.insert(owned_entry()).ok());
  EXPECT_TRUE(table.insert(owned_entry()).ok());
  auto third = table.insert(owned_entry());
  EXPECT_EQ(third.error(), Errno::kMfile);
  EXPECT_EQ(table.open_count(), 2u);
}

TEST(WasiFdTable, PlacingBeyondTheEndKeepsTheGapFree) {
  FdTable table;
  table.place(6, owned_entry());
  EXPECT_EQ(table.insert(owned_entry()).value(), 3u);
  EXPECT_EQ(table.insert(owned_entry()).value(), 4u);
  EXPECT_EQ(table.insert(owned_entry()).value(), 5u);
  EXPECT_EQ(table.insert(owned_entry()).value(), 7u);
}

}  // namespace
}  // namespace lunatic::wasi
