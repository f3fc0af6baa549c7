// The fiber stack pool: stacks from few mappings, recycling, resident memory of pooled stacks,
// and use from several threads.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

#include "common/page_giveback.hpp"
#include "runtime/stack_pool.hpp"
#include "support/os_memory.hpp"

namespace lunatic::runtime {
namespace {

using lunatic::testing::mapping_count;
using lunatic::testing::resident_between;

TEST(StackPool, TenThousandStacksComeFromAFewMappingsWithoutGuardPages) {
  StackPool pool;
  const std::size_t before = mapping_count();
  std::vector<FiberStack> stacks;
  for (int i = 0; i < 10'000; ++i) {
    stacks.push_back(pool.acquire());
    ASSERT_NE(stacks.back().mapping, nullptr);
  }
  const std::size_t after = mapping_count();
  std::printf("10000 stacks of %zu KiB: %zu -> %zu lines in /proc/self/maps\n",
              pool.usable_size() / 1024, before, after);
  EXPECT_LT(after - before, 100u);

  std::sort(stacks.begin(), stacks.end(),
            [](const FiberStack& a, const FiberStack& b) { return a.low < b.low; });
  std::size_t adjacent = 0;
  for (std::size_t i = 0; i < stacks.size(); ++i) {
    EXPECT_EQ(stacks[i].high - stacks[i].low, StackPool::kDefaultUsableSize);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(stacks[i].mapping), stacks[i].low);
    if (i > 0) {
      ASSERT_GE(stacks[i].low, stacks[i - 1].high) << "stacks overlap";
      adjacent += stacks[i].low == stacks[i - 1].high;
    }
  }
  EXPECT_GT(adjacent, stacks.size() * 9 / 10) << "most stacks should have no gap between them";
  for (auto& stack : stacks) pool.release(stack);
}

TEST(StackPool, AReleasedStackIsReused) {
  StackPool pool;
  FiberStack first = pool.acquire();
  ASSERT_NE(first.mapping, nullptr);
  pool.release(first);
  FiberStack second = pool.acquire();
  EXPECT_EQ(second.low, first.low);
  EXPECT_EQ(second.high, first.high);
  pool.release(second);
}

TEST(StackPool, ResidentBytesCountThePagesStacksTouched) {
  StackPool pool(StackPool::kDefaultUsableSize, /*stacks_per_chunk=*/16);
  EXPECT_EQ(pool.resident_bytes(), 0u);  // nothing carved or touched yet
  const FiberStack stack = pool.acquire();
  const std::uint64_t before = pool.resident_bytes();
  constexpr std::size_t kTouched = 64 * 1024;
  std::memset(reinterpret_cast<void*>(stack.high - kTouched), 1, kTouched);
  EXPECT_GE(pool.resident_bytes(), before + kTouched);
  pool.release(stack);
}

TEST(StackPool, PastTheWarmLimitAReleasedStackKeepsOnlyItsTopPagesResident) {
  StackPool pool(StackPool::kDefaultUsableSize, StackPool::kDefaultStacksPerChunk,
                 /*warm_stacks=*/0);
  FiberStack stack = pool.acquire();
  ASSERT_NE(stack.mapping, nullptr);
  std::memset(stack.mapping, 0xab, stack.mapping_size);  // a fiber that used all of it
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  EXPECT_EQ(resident_between(stack.low, stack.high), stack.mapping_size / page);
  pool.release(stack);
  // Given back in a batch, at the latest when the pool has no other stack to hand out.
  FiberStack again = pool.acquire();
  EXPECT_EQ(again.low, stack.low) << "a stack being given back is reused before new ones are cut";
  const std::size_t kept = StackPool::kKeptTopBytes / page;
  std::printf("released stack: %zu KiB resident of %zu KiB\n",
              resident_between(stack.low, stack.high) * page / 1024, stack.mapping_size / 1024);
  EXPECT_EQ(resident_between(stack.low, stack.high), kept);
  EXPECT_EQ(resident_between(stack.high - StackPool::kKeptTopBytes, stack.high), kept);
  // What was returned reads as zeros; the next fiber may find old bytes only in the top pages.
  EXPECT_EQ(static_cast<unsigned char*>(stack.mapping)[0], 0);
}

TEST(StackPool, PastTheWarmLimitStacksAreGivenBackInBatches) {
  StackPool pool(64 * 1024, 256, /*warm_stacks=*/0);
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<FiberStack> stacks;
  for (std::size_t i = 0; i < kGiveBackBatch; ++i) stacks.push_back(pool.acquire());
  for (const FiberStack& stack : stacks) {
    ASSERT_NE(stack.mapping, nullptr);
    std::memset(stack.mapping, 0x5a, stack.mapping_size);
  }
  for (std::size_t i = 0; i + 1 < stacks.size(); ++i) pool.release(stacks[i]);
  EXPECT_EQ(resident_between(stacks[0].low, stacks[0].high), stacks[0].mapping_size / page)
      << "one short of a batch: nothing given back yet";
  pool.release(stacks.back());
  for (const FiberStack& stack : stacks) {
    EXPECT_EQ(resident_between(stack.low, stack.high), StackPool::kKeptTopBytes / page);
  }
}

TEST(StackPool, UpToTheWarmLimitAReleasedStackKeepsItsPages) {
  StackPool pool(StackPool::kDefaultUsableSize, StackPool::kDefaultStacksPerChunk,
                 /*warm_stacks=*/1);
  FiberStack warm = pool.acquire();
  FiberStack cold = pool.acquire();
  ASSERT_NE(warm.mapping, nullptr);
  ASSERT_NE(cold.mapping, nullptr);
  std::memset(warm.mapping, 0xab, warm.mapping_size);
  std::memset(cold.mapping, 0xab, cold.mapping_size);
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  pool.release(warm);  // fills the one warm slot: no system call, every page stays
  pool.release(cold);  // over the limit: all but the top pages go back
  EXPECT_EQ(resident_between(warm.low, warm.high), warm.mapping_size / page);
  // A stack that kept its pages goes first, and a taken warm stack frees its slot.
  EXPECT_EQ(pool.acquire().low, warm.low);
  EXPECT_EQ(pool.acquire().low, cold.low) << "given back once no other stack is left";
  EXPECT_EQ(resident_between(cold.low, cold.high), StackPool::kKeptTopBytes / page);
  FiberStack again = pool.acquire();
  ASSERT_NE(again.mapping, nullptr);
  std::memset(again.mapping, 0xcd, again.mapping_size);
  pool.release(again);
  EXPECT_EQ(resident_between(again.low, again.high), again.mapping_size / page);
}

TEST(StackPool, FourThreadsAcquireAndReleaseConcurrently) {
  StackPool pool(64 * 1024, 16);
  std::atomic<int> conflicts{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 500; ++round) {
        std::vector<FiberStack> held;
        for (int i = 0; i < 8; ++i) {
          FiberStack stack = pool.acquire();
          if (stack.mapping == nullptr) {
            ++failures;
            continue;
          }
          // The top word marks the owner; another owner would overwrite it.
          *reinterpret_cast<int*>(stack.high - sizeof(int)) = t * 1000 + i;
          held.push_back(stack);
        }
        std::this_thread::yield();
        for (std::size_t i = 0; i < held.size(); ++i) {
          if (*reinterpret_cast<int*>(held[i].high - sizeof(int)) !=
              t * 1000 + static_cast<int>(i)) {
            ++conflicts;
          }
          pool.release(held[i]);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(conflicts.load(), 0) << "a stack was handed to two owners at once";
}

}  // namespace
}  // namespace lunatic::runtime
