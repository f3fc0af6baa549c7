// Guard-mode reservations recycled warm: a reused one reads as zeros, keeps its resident pages,
// and is cut back to the next memory's initial size.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstring>

#include "engine/guard_reservation_pool.hpp"
#include "engine/linear_memory.hpp"
#include "engine/resident_pages.hpp"
#include "support/os_memory.hpp"

namespace lunatic::engine {
namespace {

using lunatic::testing::resident_pages;

bool all_zero(const std::uint8_t* bytes, std::uint64_t size) {
  return std::all_of(bytes, bytes + size, [](std::uint8_t b) { return b == 0; });
}

// Fresh anonymous pages, none resident yet, unmapped at the end of the test.
class AnonymousPages {
 public:
  explicit AnonymousPages(std::uint64_t bytes)
      : bytes_(bytes),
        mapping_(
            ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)) {}
  ~AnonymousPages() {
    if (mapping_ != MAP_FAILED) ::munmap(mapping_, bytes_);
  }
  AnonymousPages(const AnonymousPages&) = delete;
  AnonymousPages& operator=(const AnonymousPages&) = delete;
  bool mapped() const { return mapping_ != MAP_FAILED; }
  std::uint8_t* base() const { return static_cast<std::uint8_t*>(mapping_); }

 private:
  std::uint64_t bytes_;
  void* mapping_;
};

TEST(ResidentPages, ZeroesOnlyWhatIsResident) {
  constexpr std::uint64_t kBytes = 64 * 4096;
  AnonymousPages pages(kBytes);
  ASSERT_TRUE(pages.mapped());
  std::uint8_t* base = pages.base();
  std::memset(base + 4096, 0x5a, 3 * 4096);  // pages 1..3
  base[40 * 4096 + 7] = 1;                   // page 40
  const auto zeroed = zero_resident_pages(base, kBytes);
  ASSERT_TRUE(zeroed.has_value());
  EXPECT_EQ(*zeroed, 4u * 4096);
  EXPECT_EQ(resident_pages(base, kBytes), 4u) << "untouched pages must stay untouched";
  EXPECT_TRUE(all_zero(base, kBytes));  // reading maps the zero page: checked last
}

TEST(ResidentPages, PopulatesEveryPageTheRangeTouches) {
  constexpr std::uint64_t kBytes = 16 * 4096;
  AnonymousPages pages(kBytes);
  ASSERT_TRUE(pages.mapped());
  std::uint8_t* base = pages.base();
  populate_pages(base + 4096 + 100, 2 * 4096);  // ends inside the fourth page
  EXPECT_EQ(resident_pages(base, kBytes), 3u);
  EXPECT_EQ(resident_pages(base + 4096, 3 * 4096), 3u)
      << "pages 1 to 3, unaligned ends rounded out";
  EXPECT_TRUE(all_zero(base, kBytes));
}

TEST(GuardReservationPool, AReleasedReservationIsReusedZeroedAndResident) {
  GuardReservationPool pool;
  auto first = pool.acquire(kWasmPageSize);
  ASSERT_NE(first.base, nullptr);
  std::memset(first.base, 0xab, 8192);
  pool.release(first);
  EXPECT_EQ(pool.pooled(), 1u);
  EXPECT_FALSE(first.warm) << "a new reservation has no resident pages";
  auto second = pool.acquire(kWasmPageSize);
  EXPECT_EQ(second.base, first.base) << "the released reservation should be handed out again";
  EXPECT_TRUE(second.warm);
  EXPECT_EQ(second.committed_bytes, kWasmPageSize);
  EXPECT_TRUE(all_zero(second.base, kWasmPageSize)) << "a recycled memory must read as zeros";
  EXPECT_EQ(resident_pages(second.base, 8192), 2u) << "zeroed in place, not given back";
  pool.release(second);
}

TEST(GuardReservationPool, AReusedReservationFitsTheNextInitialSize) {
  GuardReservationPool pool;
  auto grown = pool.acquire(2 * kWasmPageSize);
  ASSERT_NE(grown.base, nullptr);
  std::memset(grown.base, 0x11, 2 * kWasmPageSize);
  pool.release(grown);
  auto smaller = pool.acquire(kWasmPageSize);
  ASSERT_EQ(smaller.base, grown.base);
  EXPECT_TRUE(all_zero(smaller.base, kWasmPageSize));
  // The page past the new size is out of reach again and holds no memory.
  EXPECT_EQ(resident_pages(smaller.base + kWasmPageSize, kWasmPageSize), 0u);
  pool.release(smaller);
  auto larger = pool.acquire(3 * kWasmPageSize);
  ASSERT_EQ(larger.base, grown.base);
  EXPECT_TRUE(all_zero(larger.base, 3 * kWasmPageSize)) << "the whole new size is writable zeros";
  pool.release(larger);
}

TEST(GuardReservationPool, AReservationThatGrewLargeIsNotKept) {
  GuardReservationPool pool;
  auto large = pool.acquire(GuardReservationPool::kZeroInPlaceBytes + kWasmPageSize);
  ASSERT_NE(large.base, nullptr);
  pool.release(large);
  EXPECT_EQ(pool.pooled(), 0u);
}

}  // namespace
}  // namespace lunatic::engine
