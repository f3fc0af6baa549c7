// clock_time_get, clock_res_get and random_get.
#include <gtest/gtest.h>
#include <time.h>

#include <cstdint>
#include <vector>

#include "wasi/clock_service.hpp"

namespace lunatic::wasi {
namespace {

TEST(WasiClock, ReadsEveryClockAndRefusesUnknownOnes) {
  for (std::uint32_t id = 0; id < 4; ++id) {
    EXPECT_TRUE(clock_time_get(id, 0).ok()) << id;
    EXPECT_GT(clock_res_get(id).value(), 0u) << id;
  }
  EXPECT_EQ(clock_time_get(4, 0).error(), Errno::kInval);
  EXPECT_EQ(clock_res_get(4).error(), Errno::kInval);
  auto realtime = clock_time_get(0, 0).value();
  EXPECT_NEAR(static_cast<double>(realtime / 1'000'000'000ull),
              static_cast<double>(::time(nullptr)), 2.0);
  auto a = clock_time_get(1, 0).value();
  auto b = clock_time_get(1, 0).value();
  EXPECT_LE(a, b);
}

TEST(WasiClock, FillsBuffersWithRandomBytes) {
  std::vector<std::uint8_t> a(256), b(256);
  EXPECT_EQ(random_get(a), Errno::kSuccess);
  EXPECT_EQ(random_get(b), Errno::kSuccess);
  EXPECT_NE(a, b);
  EXPECT_EQ(random_get({}), Errno::kSuccess);
}

}  // namespace
}  // namespace lunatic::wasi
