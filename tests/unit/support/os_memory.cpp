#include "support/os_memory.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

namespace lunatic::testing {

std::size_t mapping_count() {
  std::ifstream maps("/proc/self/maps");
  std::size_t lines = 0;
  for (std::string line; std::getline(maps, line);) ++lines;
  return lines;
}

std::uint64_t resident_kib() {
  std::ifstream rollup("/proc/self/smaps_rollup");
  for (std::string key; rollup >> key;) {
    std::uint64_t value = 0;
    if (key == "Rss:" && rollup >> value) return value;
  }
  return 0;
}

std::size_t resident_pages(const void* base, std::size_t bytes) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> residency((bytes + page - 1) / page);
  EXPECT_EQ(::mincore(const_cast<void*>(base), bytes, residency.data()), 0);
  return static_cast<std::size_t>(
      std::count_if(residency.begin(), residency.end(), [](unsigned char r) { return r & 1; }));
}

std::size_t resident_between(std::uintptr_t low, std::uintptr_t high) {
  return resident_pages(reinterpret_cast<const void*>(low), high - low);
}

bool all_zero(const void* data, std::uint64_t bytes) {
  const auto* first = static_cast<const std::uint8_t*>(data);
  return std::all_of(first, first + bytes, [](std::uint8_t byte) { return byte == 0; });
}

AnonymousPages::AnonymousPages(std::size_t bytes) : bytes_(bytes), base_(nullptr) {
  void* mapping =
      ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping != MAP_FAILED) base_ = static_cast<std::uint8_t*>(mapping);
}

AnonymousPages::~AnonymousPages() {
  if (base_ != nullptr) ::munmap(base_, bytes_);
}

}  // namespace lunatic::testing
