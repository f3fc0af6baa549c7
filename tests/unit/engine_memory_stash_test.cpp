// The per-thread stash of freed linear memories: memories freed on a thread wait, dirty and
// never handed out, until a batch of them is; then they are zeroed together and come back to
// the next memories of the same kind and size on that thread; anything else goes to the shared
// pools.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <set>
#include <thread>
#include <vector>

#include "engine/execution/execution.hpp"
#include "engine/memory/linear_memory.hpp"
#include "engine/memory/memory_stash.hpp"

namespace lunatic::engine {
namespace {

bool all_zero(const wasm_rt_memory_t& memory) {
  return std::all_of(memory.data, memory.data + memory.size, [](std::uint8_t b) { return b == 0; });
}

// A memory of `pages` wasm pages in the mode of the current ExecutionState (none: bounds).
wasm_rt_memory_t allocate(std::uint32_t pages) {
  wasm_rt_memory_t memory{};
  allocate_linear_memory(&memory, pages, 65536);
  return memory;
}

// Sets the thread's ExecutionState for the test's duration, as a running guest would.
class CurrentExecution {
 public:
  explicit CurrentExecution(bool guard) {
    state_.guard_memory = guard;
    set_current_execution(&state_);
  }
  ~CurrentExecution() { set_current_execution(nullptr); }
  CurrentExecution(const CurrentExecution&) = delete;
  CurrentExecution& operator=(const CurrentExecution&) = delete;

 private:
  ExecutionState state_;
};

class MemoryStashTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override { MemoryStash::flush(); }
};

// Frees kZeroBatch memories of `pages` pages after `write` has filled (or grown) each; returns
// their bases as freed.
template <typename Write>
std::set<std::uint8_t*> free_a_batch(std::uint32_t pages, Write write) {
  std::vector<wasm_rt_memory_t> memories;
  for (int i = 0; i < MemoryStash::kZeroBatch; ++i) memories.push_back(allocate(pages));
  std::set<std::uint8_t*> bases;
  for (auto& memory : memories) {
    EXPECT_NE(memory.data, nullptr);
    write(memory);
    bases.insert(memory.data);
    free_linear_memory(&memory);
  }
  return bases;
}

TEST_P(MemoryStashTest, AFreedMemoryIsNotHandedOutBeforeItIsZeroed) {
  CurrentExecution execution(GetParam());
  wasm_rt_memory_t first = allocate(2);
  ASSERT_NE(first.data, nullptr);
  std::memset(first.data, 0x5c, 3 * 4096);
  std::uint8_t* const base = first.data;
  free_linear_memory(&first);
  EXPECT_EQ(MemoryStash::size(), 1);
  EXPECT_EQ(MemoryStash::dirty(), 1) << "one memory is no batch: it waits";
  wasm_rt_memory_t second = allocate(2);
  ASSERT_NE(second.data, nullptr);
  EXPECT_NE(second.data, base) << "a dirty memory must not be handed out";
  EXPECT_TRUE(all_zero(second));
  EXPECT_EQ(MemoryStash::dirty(), 1);
  free_linear_memory(&second);
}

TEST_P(MemoryStashTest, FreedMemoriesComeBackZeroedOnceABatchIsDirty) {
  CurrentExecution execution(GetParam());
  const std::set<std::uint8_t*> freed = free_a_batch(2, [](wasm_rt_memory_t& memory) {
    std::memset(memory.data, 0x5c, 3 * 4096);
    memory.data[memory.size - 1] = 1;
  });
  ASSERT_EQ(MemoryStash::dirty(), MemoryStash::kZeroBatch);
  std::vector<wasm_rt_memory_t> again;
  for (int i = 0; i < MemoryStash::kZeroBatch; ++i) {
    again.push_back(allocate(2));
    EXPECT_EQ(MemoryStash::dirty(), 0) << "the first request zeroes the whole batch";
    EXPECT_TRUE(freed.count(again.back().data)) << "a stashed memory should be reused";
    EXPECT_TRUE(all_zero(again.back())) << "a reused memory must read as zeros";
  }
  EXPECT_EQ(MemoryStash::size(), 0);
  for (auto& memory : again) free_linear_memory(&memory);
}

TEST_P(MemoryStashTest, AMemoryOfAnotherSizeDoesNotTakeIt) {
  CurrentExecution execution(GetParam());
  wasm_rt_memory_t small = allocate(1);
  std::uint8_t* const base = small.data;
  free_linear_memory(&small);
  ASSERT_EQ(MemoryStash::size(), 1);
  wasm_rt_memory_t larger = allocate(4);
  ASSERT_NE(larger.data, nullptr);
  EXPECT_NE(larger.data, base);
  EXPECT_EQ(MemoryStash::size(), 1);
  EXPECT_TRUE(all_zero(larger));
  free_linear_memory(&larger);
}

TEST_P(MemoryStashTest, AGrownMemoryIsZeroedOverAllItsPages) {
  CurrentExecution execution(GetParam());
  const std::set<std::uint8_t*> freed = free_a_batch(1, [](wasm_rt_memory_t& memory) {
    ASSERT_NE(grow_linear_memory(&memory, 1), UINT32_MAX);
    std::memset(memory.data, 0x77, memory.size);
  });
  // Guard mode keeps the grown reservations for memories of two pages; bounds mode the blocks.
  std::vector<wasm_rt_memory_t> again;
  for (int i = 0; i < MemoryStash::kZeroBatch; ++i) {
    again.push_back(allocate(2));
    ASSERT_NE(again.back().data, nullptr);
    EXPECT_TRUE(freed.count(again.back().data));
    EXPECT_TRUE(all_zero(again.back()));
  }
  for (auto& memory : again) free_linear_memory(&memory);
}

TEST_P(MemoryStashTest, HoldsAtMostItsEntriesAndNoLargeMemory) {
  CurrentExecution execution(GetParam());
  std::vector<wasm_rt_memory_t> memories;
  for (int i = 0; i < MemoryStash::kEntries + 3; ++i) memories.push_back(allocate(1));
  for (auto& memory : memories) free_linear_memory(&memory);
  EXPECT_EQ(MemoryStash::size(), MemoryStash::kEntries);
  MemoryStash::flush();
  const auto large_pages = static_cast<std::uint32_t>(2 * MemoryStash::kMaxBytes / kWasmPageSize);
  wasm_rt_memory_t large = allocate(large_pages);
  ASSERT_NE(large.data, nullptr);
  free_linear_memory(&large);
  EXPECT_EQ(MemoryStash::size(), 0) << "a memory over kMaxBytes goes back to the shared pool";
}

TEST_P(MemoryStashTest, AThreadsStashGoesBackToTheSharedPoolWhenItEnds) {
  const bool guard = GetParam();
  std::uint8_t* freed_by_thread = nullptr;
  std::thread([&] {
    CurrentExecution execution(guard);
    wasm_rt_memory_t memory = allocate(8);  // a size no other test here leaves in a stash
    std::memset(memory.data, 0x42, memory.size);
    freed_by_thread = memory.data;
    free_linear_memory(&memory);
    EXPECT_EQ(MemoryStash::size(), 1);
  }).join();
  CurrentExecution execution(guard);
  wasm_rt_memory_t memory = allocate(8);
  EXPECT_EQ(memory.data, freed_by_thread) << "the pool hands out its most recent release first";
  EXPECT_TRUE(all_zero(memory));
  free_linear_memory(&memory);
}

INSTANTIATE_TEST_SUITE_P(Modes, MemoryStashTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "Guard" : "Bounds"; });

}  // namespace
}  // namespace lunatic::engine
