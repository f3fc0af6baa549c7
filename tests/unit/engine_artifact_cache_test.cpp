// The artifact cache stays under its limit by evicting the least recently used artifacts.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "engine/compile/artifact_cache.hpp"
#include "support/guest.hpp"

namespace lunatic::engine {
namespace {

// File times come from a coarse clock (a few ms): steps apart in time are told apart.
void next_moment() { std::this_thread::sleep_for(std::chrono::milliseconds(30)); }

TEST(ArtifactCache, WritesPastTheLimitEvictTheLeastRecentlyUsedAndAReadCountsAsUse) {
  const auto root = testing::test_cache_root() / "lru";
  ArtifactCache cache(root, 250);
  const std::string hundred(100, 'x');
  for (const char* key : {"a", "b", "c"}) {
    ASSERT_TRUE(cache.write(key, hundred));
    next_moment();
  }
  EXPECT_FALSE(cache.read("a").value().has_value()) << "a was the least recently used";
  EXPECT_EQ(cache.size_bytes(), 200u);
  ASSERT_TRUE(cache.read("b").value().has_value());  // b is now used more recently than c
  next_moment();
  ASSERT_TRUE(cache.write("d", hundred));
  EXPECT_TRUE(cache.read("b").value().has_value());
  EXPECT_FALSE(cache.read("c").value().has_value()) << "c was the least recently used";
  EXPECT_TRUE(cache.read("d").value().has_value());
}

TEST(ArtifactCache, AnArtifactLargerThanTheLimitIsKeptAloneAndZeroMeansUnbounded) {
  ArtifactCache small(testing::test_cache_root() / "small", 10);
  ASSERT_TRUE(small.write("old", "1234"));
  next_moment();
  ASSERT_TRUE(small.write("huge", std::string(100, 'y')));
  EXPECT_TRUE(small.read("huge").value().has_value()) << "the one just written is never evicted";
  EXPECT_FALSE(small.read("old").value().has_value());

  ArtifactCache unbounded(testing::test_cache_root() / "unbounded", 0);
  for (int i = 0; i < 20; ++i)
    ASSERT_TRUE(unbounded.write(std::to_string(i), std::string(100, 'z')));
  EXPECT_EQ(unbounded.size_bytes(), 2000u);
}

}  // namespace
}  // namespace lunatic::engine
