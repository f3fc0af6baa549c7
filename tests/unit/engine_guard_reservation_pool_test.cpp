// Guard-mode reservations recycled warm: a reused one reads as zeros, keeps its resident pages,
// and is cut back to the next memory's initial size.
#include <gtest/gtest.h>

#include <cstring>

#include "engine/memory/guard_reservation_pool.hpp"
#include "engine/memory/linear_memory.hpp"
#include "support/os_memory.hpp"

namespace lunatic::engine {
namespace {

using lunatic::testing::all_zero;
using lunatic::testing::resident_pages;

TEST(GuardReservationPool, AReleasedReservationIsReusedZeroedAndResident) {
  GuardReservationPool pool;
  auto first = pool.acquire(kWasmPageSize);
  ASSERT_NE(first.base, nullptr);
  std::memset(first.base, 0xab, 8192);
  pool.release(first);
  EXPECT_EQ(pool.pooled(), 1u);
  auto second = pool.acquire(kWasmPageSize);
  EXPECT_EQ(second.base, first.base) << "the released reservation should be handed out again";
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
