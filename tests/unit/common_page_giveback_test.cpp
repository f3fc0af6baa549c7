// Pages given back to the OS in batches: every range reads as zeros and holds no memory after,
// pages outside the ranges keep theirs, and a forked child gives back only its own pages.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <vector>

#include "common/page_giveback.hpp"
#include "support/os_memory.hpp"

namespace lunatic::engine {
namespace {

using lunatic::testing::AnonymousPages;
using lunatic::testing::resident_pages;

constexpr std::size_t kPage = 4096;

// The address of page `page` of `pages`.
std::uint8_t* at(const AnonymousPages& pages, std::size_t page) {
  return pages.base() + page * kPage;
}

using GiveBack = void (*)(std::span<const iovec>);

class PageGiveBack : public ::testing::TestWithParam<GiveBack> {};

TEST_P(PageGiveBack, EveryRangeReadsAsZerosAndTheRestKeepsItsPages) {
  // More ranges than one batch, each two pages, with a page between them that stays.
  constexpr std::size_t kRanges = kGiveBackBatch + 5;
  AnonymousPages mapping(kRanges * 3 * kPage);
  ASSERT_TRUE(mapping.mapped());
  std::memset(at(mapping, 0), 0x6b, kRanges * 3 * kPage);
  std::vector<iovec> ranges;
  for (std::size_t i = 0; i < kRanges; ++i) ranges.push_back({at(mapping, 3 * i), 2 * kPage});
  GetParam()(ranges);
  for (std::size_t i = 0; i < kRanges; ++i) {
    EXPECT_EQ(resident_pages(at(mapping, 3 * i), 2 * kPage), 0u) << "range " << i;
    EXPECT_EQ(resident_pages(at(mapping, 3 * i + 2), kPage), 1u) << "the page after range " << i;
    EXPECT_EQ(*at(mapping, 3 * i + 2), 0x6b);
    EXPECT_EQ(*at(mapping, 3 * i), 0);
    EXPECT_EQ(*(at(mapping, 3 * i + 1) + kPage - 1), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(Ways, PageGiveBack,
                         ::testing::Values(&give_back_pages, &give_back_pages_one_by_one),
                         [](const auto& info) {
                           return info.param == &give_back_pages ? "Batched" : "OneByOne";
                         });

// The child must not reach its parent's pages through a descriptor it inherited (the kernels
// seen here also refuse MADV_DONTNEED through process_madvise for another process).
TEST(PageGiveBackFork, AForkedChildGivesBackItsOwnPagesNotItsParents) {
  AnonymousPages mapping(2 * kPage);
  ASSERT_TRUE(mapping.mapped());
  std::memset(at(mapping, 0), 0x21, 2 * kPage);
  const iovec first{at(mapping, 0), kPage};
  give_back_pages({&first, 1});  // the parent has used the batched path before it forks
  ASSERT_EQ(*at(mapping, 0), 0);
  std::memset(at(mapping, 0), 0x21, kPage);
  const pid_t child = ::fork();
  ASSERT_NE(child, -1);
  if (child == 0) {
    const iovec both{at(mapping, 0), 2 * kPage};
    give_back_pages({&both, 1});
    ::_exit(*at(mapping, 0) == 0 && *at(mapping, 1) == 0 ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the child's own pages were not given back";
  EXPECT_EQ(*at(mapping, 0), 0x21) << "the child gave back its parent's pages";
  EXPECT_EQ(*at(mapping, 1), 0x21);
}

}  // namespace
}  // namespace lunatic::engine
