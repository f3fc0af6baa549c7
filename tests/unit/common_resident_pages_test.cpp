// Asking the kernel which pages hold data and zeroing only those, by PAGEMAP_SCAN or mincore:
// pages never written stay untouched, ranges far apart are each walked, and a forked child
// asks about its own pages.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <iterator>

#include "common/resident_pages.hpp"
#include "support/os_memory.hpp"

namespace lunatic {
namespace {

using testing::all_zero;
using testing::AnonymousPages;
using testing::resident_pages;

class ResidentPagesQuery : public ::testing::TestWithParam<PageQuery> {};

TEST_P(ResidentPagesQuery, ZeroesOnlyWhatIsResident) {
  constexpr std::uint64_t kBytes = 64 * 4096;
  AnonymousPages pages(kBytes);
  ASSERT_TRUE(pages.mapped());
  std::uint8_t* base = pages.base();
  std::memset(base + 4096, 0x5a, 3 * 4096);  // pages 1..3
  base[40 * 4096 + 7] = 1;                   // page 40
  const auto zeroed = zero_resident_pages(base, kBytes, GetParam());
  ASSERT_TRUE(zeroed.has_value());
  EXPECT_EQ(*zeroed, 4u * 4096);
  EXPECT_EQ(resident_pages(base, kBytes), 4u) << "untouched pages must stay untouched";
  EXPECT_TRUE(all_zero(base, kBytes));  // reading maps the zero page: checked last
}

TEST_P(ResidentPagesQuery, ZeroesPagesBeyondOneQueryOfTheKernel) {
  // More runs of data pages than one PAGEMAP_SCAN call returns, and more pages than one
  // mincore vector holds.
  constexpr std::uint64_t kPages = 2500;
  AnonymousPages pages(kPages * 4096);
  ASSERT_TRUE(pages.mapped());
  std::uint8_t* base = pages.base();
  std::uint64_t written = 0;
  for (std::uint64_t page = 0; page < kPages; page += 3, ++written) base[page * 4096 + 11] = 7;
  const auto zeroed = zero_resident_pages(base, kPages * 4096, GetParam());
  ASSERT_TRUE(zeroed.has_value());
  EXPECT_EQ(*zeroed, written * 4096);
  EXPECT_TRUE(all_zero(base, kPages * 4096));
}

TEST_P(ResidentPagesQuery, ZeroesManyRangesAndNothingBetweenThem) {
  // Ranges close together (one walk of the page tables) and one far off (a walk of its own);
  // every page of the mapping holds data, so what lies between the ranges must stay as it is.
  constexpr std::uint64_t kPage = 4096;
  constexpr std::uint64_t kBytes = 20 << 20;
  AnonymousPages pages(kBytes);
  ASSERT_TRUE(pages.mapped());
  std::uint8_t* base = pages.base();
  for (std::uint64_t page = 0; page < kBytes / kPage; ++page) base[page * kPage] = 0x5a;
  const iovec ranges[] = {{base, 2 * kPage},
                          {base + 32 * kPage, 3 * kPage},
                          {base + (1 << 20), 32 * kPage},
                          {base + (17 << 20), kPage}};
  const auto zeroed = zero_resident_pages(std::span<const iovec>(ranges), GetParam());
  ASSERT_TRUE(zeroed.has_value());
  EXPECT_EQ(*zeroed, (2u + 3u + 32u + 1u) * kPage);
  std::uint64_t zero_pages = 0;
  for (std::uint64_t page = 0; page < kBytes / kPage; ++page) {
    const std::uint8_t* at = base + page * kPage;
    const bool in_a_range = std::any_of(std::begin(ranges), std::end(ranges), [&](const iovec& r) {
      const auto* low = static_cast<const std::uint8_t*>(r.iov_base);
      return at >= low && at < low + r.iov_len;
    });
    if (in_a_range) {
      zero_pages += all_zero(at, kPage) ? 1 : 0;
    } else {
      ASSERT_EQ(*at, 0x5a) << "page " << page << " lies between the ranges";
    }
  }
  EXPECT_EQ(zero_pages, 38u);
}

INSTANTIATE_TEST_SUITE_P(Queries, ResidentPagesQuery,
                         ::testing::Values(PageQuery::kBest, PageQuery::kMincore),
                         [](const auto& info) {
                           return info.param == PageQuery::kBest ? "Best" : "Mincore";
                         });

TEST(ResidentPages, PagesThatOnlyMapTheZeroPageAreNotWritten) {
  constexpr std::uint64_t kBytes = 16 * 4096;
  AnonymousPages pages(kBytes);
  ASSERT_TRUE(pages.mapped());
  std::uint8_t* base = pages.base();
  volatile std::uint8_t sink = 0;
  for (int page = 0; page < 8; ++page) sink = sink + base[page * 4096];  // read only
  base[12 * 4096] = 1;
  const auto zeroed = zero_resident_pages(base, kBytes);
  ASSERT_TRUE(zeroed.has_value());
  if (*zeroed == 9u * 4096) GTEST_SKIP() << "this kernel has no PAGEMAP_SCAN (Linux 6.7)";
  EXPECT_EQ(*zeroed, 4096u) << "only the written page holds data";
  EXPECT_TRUE(all_zero(base, kBytes));
}

TEST(ResidentPages, AForkedChildZeroesItsOwnPages) {
  constexpr std::uint64_t kBytes = 8 * 4096;
  AnonymousPages pages(kBytes);
  ASSERT_TRUE(pages.mapped());
  std::uint8_t* base = pages.base();
  ASSERT_TRUE(zero_resident_pages(base, kBytes).has_value());  // the parent has asked first
  const pid_t child = ::fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    // A page the parent never touched: its page tables know nothing of it.
    base[5 * 4096] = 9;
    const auto zeroed = zero_resident_pages(base, kBytes);
    ::_exit(zeroed.has_value() && *zeroed == 4096 && base[5 * 4096] == 0 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child zeroed by its parent's page tables";
}

}  // namespace
}  // namespace lunatic
