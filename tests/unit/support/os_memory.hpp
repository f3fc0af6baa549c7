// Test support: what the OS says about this process's memory (mappings, resident pages).
#pragma once

#include <cstddef>
#include <cstdint>

namespace lunatic::testing {

// Lines in /proc/self/maps: the mappings of this process.
std::size_t mapping_count();
// Resident memory of this process in KiB, from /proc/self/smaps_rollup.
std::uint64_t resident_kib();
// Resident pages of [base, base + bytes), from mincore; `base` is page-aligned.
std::size_t resident_pages(const void* base, std::size_t bytes);
// Resident pages of the address range [low, high), such as a fiber stack's bounds.
std::size_t resident_between(std::uintptr_t low, std::uintptr_t high);
// Whether the `bytes` at `data` all read as zeros. Reading maps the zero page into pages never
// touched: check residency first.
bool all_zero(const void* data, std::uint64_t bytes);

// Fresh anonymous pages, none resident yet, unmapped when this goes.
class AnonymousPages {
 public:
  explicit AnonymousPages(std::size_t bytes);
  ~AnonymousPages();
  AnonymousPages(const AnonymousPages&) = delete;
  AnonymousPages& operator=(const AnonymousPages&) = delete;
  bool mapped() const { return base_ != nullptr; }
  std::uint8_t* base() const { return base_; }

 private:
  std::size_t bytes_;
  std::uint8_t* base_;
};

}  // namespace lunatic::testing
