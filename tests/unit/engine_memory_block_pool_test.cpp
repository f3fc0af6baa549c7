// Bounds-mode linear memories from the shared block pool: many memories in few mappings, growth
// that moves to a larger block, the memory limit, and recycling of freed blocks.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/execution/instance.hpp"
#include "engine/memory/linear_memory.hpp"
#include "engine/memory/memory_block_pool.hpp"
#include "engine/memory/memory_stash.hpp"
#include "host/host_context.hpp"
#include "support/guest.hpp"
#include "support/os_memory.hpp"

namespace lunatic::engine {
namespace {

using lunatic::testing::mapping_count;
using lunatic::testing::resident_kib;
using lunatic::testing::resident_pages;

constexpr std::string_view kStoreLoadGrowModule = R"((module
  (memory 1)
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0)))
  (func (export "grow") (param i32) (result i32) (memory.grow (local.get 0))))
)";

// Instances driven directly on this thread: no fiber is needed to instantiate and call.
class Guests {
 public:
  explicit Guests(std::shared_ptr<const LoadedModule> module, InstanceLimits limits = {})
      : module_(std::move(module)), limits_(limits) {
    context_.blocking = nullptr;
  }

  Instance& add() {
    auto instance = Instance::create(module_, &context_, &execution_, limits_);
    EXPECT_TRUE(instance.has_value());
    EXPECT_TRUE((*instance)->instantiate().ok());
    instances_.push_back(std::move(*instance));
    return *instances_.back();
  }

  std::uint32_t call(Instance& instance, const char* name, std::vector<std::uint64_t> args) {
    std::uint64_t results[1] = {};
    CallOutcome outcome = instance.call(*module_->find_export(name), args, results);
    EXPECT_TRUE(outcome.ok()) << name << ": " << outcome.describe();
    return static_cast<std::uint32_t>(results[0]);
  }

  void clear() { instances_.clear(); }

 private:
  std::shared_ptr<const LoadedModule> module_;
  InstanceLimits limits_;
  host::HostContext context_;
  ExecutionState execution_;
  std::vector<std::unique_ptr<Instance>> instances_;
};

std::uint8_t* base_of(const Instance& instance) {
  return instance.memory().try_bytes(0, 1)->data();
}

TEST(MemoryPool, TenThousandOnePageMemoriesAddFewMappings) {
  Guests guests(testing::load(kStoreLoadGrowModule, MemoryMode::kBounds));
  guests.add();  // the module's first instance maps its code; count from here
  const std::size_t before = mapping_count();
  const std::uint64_t resident_before = resident_kib();
  for (int i = 0; i < 10'000; ++i) {
    Instance& instance = guests.add();
    guests.call(instance, "store", {0, static_cast<std::uint64_t>(i)});  // touches one page
  }
  const std::size_t after = mapping_count();
  std::printf(
      "10000 bounds-mode memories: %zu -> %zu lines in /proc/self/maps, %.1f KiB "
      "resident per instance\n",
      before, after, static_cast<double>(resident_kib() - resident_before) / 10'000);
  EXPECT_LT(after - before, 100u);
}

TEST(MemoryPool, GrowingPastTheBlockMovesTheContents) {
  Guests guests(testing::load(kStoreLoadGrowModule, MemoryMode::kBounds));
  Instance& instance = guests.add();
  guests.call(instance, "store", {0, 0x11111111});
  guests.call(instance, "store", {65532, 0x22222222});
  std::uint8_t* const first_block = base_of(instance);

  EXPECT_EQ(guests.call(instance, "grow", {1}), 1u);  // 2 pages: the 1-page block is full
  EXPECT_NE(base_of(instance), first_block) << "the memory should have moved to a larger block";
  EXPECT_EQ(guests.call(instance, "load", {0}), 0x11111111u);
  EXPECT_EQ(guests.call(instance, "load", {65532}), 0x22222222u);
  EXPECT_EQ(guests.call(instance, "load", {65536}), 0u);
  guests.call(instance, "store", {131068, 0x33333333});

  EXPECT_EQ(guests.call(instance, "grow", {98}), 2u);  // 100 pages, a 128-page block
  EXPECT_EQ(instance.memory().size(), 100 * kWasmPageSize);
  EXPECT_EQ(guests.call(instance, "load", {0}), 0x11111111u);
  EXPECT_EQ(guests.call(instance, "load", {65532}), 0x22222222u);
  EXPECT_EQ(guests.call(instance, "load", {131068}), 0x33333333u);
  EXPECT_EQ(guests.call(instance, "load", {100 * 65536 - 4}), 0u);

  // Blocks of 64 MiB and more are mappings of their own, which grow with mremap.
  EXPECT_EQ(guests.call(instance, "grow", {1900}), 100u);  // 2000 pages, a 128 MiB block
  guests.call(instance, "store", {2000 * 65536 - 4, 0x44444444});
  EXPECT_EQ(guests.call(instance, "grow", {3000}), 2000u);  // 5000 pages, a 512 MiB block
  EXPECT_EQ(guests.call(instance, "load", {0}), 0x11111111u);
  EXPECT_EQ(guests.call(instance, "load", {131068}), 0x33333333u);
  EXPECT_EQ(guests.call(instance, "load", {2000 * 65536 - 4}), 0x44444444u);
  EXPECT_EQ(guests.call(instance, "load", {5000u * 65536 - 4}), 0u);
}

TEST(MemoryPool, TheMemoryLimitStillHoldsAcrossBlocks) {
  InstanceLimits limits;
  limits.max_memory_bytes = 3 * kWasmPageSize;  // inside the 4-page block class
  Guests guests(testing::load(kStoreLoadGrowModule, MemoryMode::kBounds), limits);
  Instance& instance = guests.add();
  EXPECT_EQ(guests.call(instance, "grow", {2}), 1u);
  EXPECT_EQ(guests.call(instance, "grow", {1}), 0xffffffffu);
  EXPECT_EQ(instance.memory().size(), 3 * kWasmPageSize);
}

TEST(MemoryPool, FreedMemoryIsRecycledAndReadsAsZeros) {
  Guests guests(testing::load(kStoreLoadGrowModule, MemoryMode::kBounds));
  // A freed memory waits in its thread's stash until a batch of them is (memory_stash.hpp);
  // memories other tests left there would be handed out first.
  MemoryStash::flush();
  std::set<std::uint8_t*> blocks;
  for (int i = 0; i < MemoryStash::kZeroBatch; ++i) {
    Instance& first = guests.add();
    guests.call(first, "store", {4096, 0x5a5a5a5a});
    blocks.insert(base_of(first));
  }
  guests.clear();

  Instance& second = guests.add();
  EXPECT_TRUE(blocks.count(base_of(second))) << "a freed block should be handed out again";
  EXPECT_EQ(guests.call(second, "load", {4096}), 0u) << "a recycled block must be zeroed";
  guests.clear();

  auto grow_and_free = [&] {
    Instance& instance = guests.add();
    guests.call(instance, "grow", {3});  // through the 2- and 4-page classes
    guests.clear();
  };
  grow_and_free();  // maps a region for each class on first use
  const std::uint64_t mapped = MemoryBlockPool::shared().mapped_bytes();
  for (int i = 0; i < 1000; ++i) grow_and_free();
  EXPECT_EQ(MemoryBlockPool::shared().mapped_bytes(), mapped) << "freed blocks were not reused";
}

TEST(MemoryPool, AReleasedBlockIsZeroedInPlaceAndKeepsItsPages) {
  MemoryBlockPool pool;
  MemoryBlockPool::Block fresh = pool.acquire(kWasmPageSize);
  ASSERT_NE(fresh.base, nullptr);
  EXPECT_EQ(resident_pages(fresh.base, kWasmPageSize), 0u) << "a block cut from a new region";
  fresh.base[5000] = 7;
  pool.release(fresh, 8192);
  EXPECT_EQ(pool.warm_bytes(), 4096u);
  MemoryBlockPool::Block reused = pool.acquire(kWasmPageSize);
  EXPECT_EQ(reused.base, fresh.base);
  EXPECT_EQ(pool.warm_bytes(), 0u);
  EXPECT_EQ(resident_pages(reused.base, kWasmPageSize), 1u) << "zeroed in place, not given back";
  EXPECT_EQ(reused.base[5000], 0);
  pool.release(reused, 0);
}

TEST(MemoryPool, FourThreadsAcquireGrowAndReleaseConcurrently) {
  MemoryBlockPool& pool = MemoryBlockPool::shared();
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 300; ++round) {
        std::vector<MemoryBlockPool::Block> held;
        for (int i = 0; i < 8; ++i) {
          MemoryBlockPool::Block block = pool.acquire(kWasmPageSize);
          if (block.base == nullptr || block.base[0] != 0) ++errors;  // fresh blocks are zeros
          if (block.base == nullptr) continue;
          const int mark = t * 1000 + i;
          std::memcpy(block.base, &mark, sizeof mark);
          if (i % 2 == 0) block = pool.grow(block, sizeof mark, 3 * kWasmPageSize);
          held.push_back(block);
        }
        std::this_thread::yield();
        for (std::size_t i = 0; i < held.size(); ++i) {
          int mark = 0;
          std::memcpy(&mark, held[i].base, sizeof mark);
          if (mark != t * 1000 + static_cast<int>(i)) ++errors;  // another owner wrote here
          pool.release(held[i], sizeof mark);
        }
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
}

}  // namespace
}  // namespace lunatic::engine
