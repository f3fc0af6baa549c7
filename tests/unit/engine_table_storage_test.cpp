// Table storage: small tables on the heap, large ones in mappings of their own that grow
// without copying; contents survive every kind of growth.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>

#include "engine/memory/table_storage.hpp"
#include "support/os_memory.hpp"

namespace lunatic::engine {
namespace {

using lunatic::testing::all_zero;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

void fill_pattern(void* data, std::uint64_t bytes) {
  auto* p = static_cast<std::uint8_t*>(data);
  for (std::uint64_t i = 0; i < bytes; ++i) p[i] = static_cast<std::uint8_t>(i * 31 + 7);
}

bool has_pattern(const void* data, std::uint64_t bytes) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  for (std::uint64_t i = 0; i < bytes; ++i) {
    if (p[i] != static_cast<std::uint8_t>(i * 31 + 7)) return false;
  }
  return true;
}

TEST(TableStorage, NewStorageReadsAsZerosSmallOrLarge) {
  for (std::uint64_t bytes : {std::uint64_t{0}, std::uint64_t{24}, kMiB - 8, kMiB, 3 * kMiB + 5}) {
    void* data = allocate_table_storage(bytes);
    ASSERT_NE(data, nullptr) << bytes;
    EXPECT_TRUE(all_zero(data, bytes)) << bytes;
    free_table_storage(data, bytes);
  }
}

TEST(TableStorage, GrowingKeepsTheContentsFromHeapToMappingAndBetweenMappings) {
  std::uint64_t bytes = 4096;
  void* data = allocate_table_storage(bytes);
  ASSERT_NE(data, nullptr);
  fill_pattern(data, bytes);
  // Heap to heap, heap to a mapping, a mapping to a larger one (several times).
  for (std::uint64_t next :
       {64 * std::uint64_t{1024}, 2 * kMiB, 2 * kMiB + 1, 24 * kMiB, 100 * kMiB}) {
    data = grow_table_storage(data, bytes, next);
    ASSERT_NE(data, nullptr) << next;
    EXPECT_TRUE(has_pattern(data, bytes)) << "lost contents growing " << bytes << " to " << next;
    fill_pattern(data, next);
    bytes = next;
  }
  free_table_storage(data, bytes);
}

TEST(TableStorage, AGrowTheHostCannotBackFailsAndKeepsTheOldStorage) {
  const std::uint64_t bytes = 2 * kMiB;
  void* data = allocate_table_storage(bytes);
  ASSERT_NE(data, nullptr);
  fill_pattern(data, bytes);
  // More address space than any machine gives a process.
  EXPECT_EQ(grow_table_storage(data, bytes, std::uint64_t{1} << 62), nullptr);
  EXPECT_TRUE(has_pattern(data, bytes));
  free_table_storage(data, bytes);
}

}  // namespace
}  // namespace lunatic::engine
