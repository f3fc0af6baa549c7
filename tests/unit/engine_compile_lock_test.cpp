// One compile of a key at a time: a second taker waits for the first, other keys do not, and a
// waiter can be cancelled.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

#include "engine/compile/compile_lock.hpp"
#include "support/guest.hpp"

namespace lunatic::engine {
namespace {

const std::string kKeyA(64, 'a');
const std::string kKeyB(64, 'b');

std::filesystem::path lock_file(const char* name) {
  return testing::test_cache_root() / name / "compile.lock";
}

TEST(CompileLock, ASecondTakerOfOneKeyWaitsUntilTheFirstLetsGo) {
  const auto file = lock_file("wait");
  std::optional<CompileLock> first;
  first.emplace(CompileLock::acquire(file, kKeyA, {}).value());
  std::atomic<bool> second_held{false};
  std::thread second([&] {
    auto lock = CompileLock::acquire(file, kKeyA, {});
    ASSERT_TRUE(lock);
    second_held = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(second_held) << "both held the lock of one key";
  first.reset();
  second.join();
  EXPECT_TRUE(second_held);
}

TEST(CompileLock, AnotherKeyIsNotHeldUp) {
  const auto file = lock_file("keys");
  auto a = CompileLock::acquire(file, kKeyA, {});
  ASSERT_TRUE(a);
  const auto start = std::chrono::steady_clock::now();
  auto b = CompileLock::acquire(file, kKeyB, {});
  ASSERT_TRUE(b);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(1));
}

TEST(CompileLock, AWaiterStopsWhenItsCompileIsCancelled) {
  const auto file = lock_file("cancel");
  auto held = CompileLock::acquire(file, kKeyA, {});
  ASSERT_TRUE(held);
  std::stop_source stop;
  std::thread canceller([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop.request_stop();
  });
  auto waiter = CompileLock::acquire(file, kKeyA, stop.get_token());
  canceller.join();
  ASSERT_FALSE(waiter);
  EXPECT_EQ(waiter.error().code, Errc::kCancelled);
}

TEST(CompileLock, AnUnusableCacheDirectoryLocksNothingAndBlocksNoOne) {
  const auto file = std::filesystem::path("/proc/lunatic-no-such-dir/compile.lock");
  auto a = CompileLock::acquire(file, kKeyA, {});
  auto b = CompileLock::acquire(file, kKeyA, {});
  EXPECT_TRUE(a);
  EXPECT_TRUE(b);
}

}  // namespace
}  // namespace lunatic::engine
