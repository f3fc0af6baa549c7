// The spin lock that guards a process's state: mutual exclusion under contention.
#include <gtest/gtest.h>

#include <mutex>
#include <thread>
#include <vector>

#include "runtime/spin_lock.hpp"

namespace lunatic::runtime {
namespace {

TEST(SpinLock, ThreadsIncrementingUnderItLoseNoUpdate) {
  constexpr int kThreads = 4, kIncrements = 200'000;
  SpinLock lock;
  long counter = 0;  // plain: only the lock keeps the increments apart
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kIncrements; ++i) {
        std::lock_guard guard(lock);
        ++counter;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(counter, long{kThreads} * kIncrements);
}

TEST(SpinLock, TryLockFailsWhileHeldAndSucceedsOnceReleased) {
  SpinLock lock;
  lock.lock();
  bool taken_elsewhere = true;
  std::thread([&] { taken_elsewhere = lock.try_lock(); }).join();
  EXPECT_FALSE(taken_elsewhere);
  lock.unlock();
  EXPECT_TRUE(lock.try_lock());
  lock.unlock();
}

}  // namespace
}  // namespace lunatic::runtime
