// Sizes as people write them ("64K", "8GiB") and as diagnostics print them ("1.5 KiB").
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "common/byte_size.hpp"

namespace lunatic {
namespace {

TEST(ByteSize, ParsesNumbersWithPowerOfTwoUnitsAndRefusesTheRest) {
  EXPECT_EQ(parse_size("0"), 0u);
  EXPECT_EQ(parse_size("4096"), 4096u);
  EXPECT_EQ(parse_size("64K"), 64u << 10);
  EXPECT_EQ(parse_size("512m"), 512u << 20);
  EXPECT_EQ(parse_size("8GiB"), std::uint64_t{8} << 30);
  EXPECT_EQ(parse_size("2TB"), std::uint64_t{2} << 40);
  for (const char* bad : {"", "G", "-1", "1.5G", "12 M", "1X", "99999999999T"}) {
    EXPECT_FALSE(parse_size(bad)) << bad;
  }
  EXPECT_EQ(human_bytes(1536), "1.5 KiB");
  EXPECT_EQ(human_bytes(std::uint64_t{24} << 30), "24 GiB");
  EXPECT_EQ(human_bytes(12), "12 B");
}

}  // namespace
}  // namespace lunatic
