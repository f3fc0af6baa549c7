// Zeroing a recycled memory in place: only the pages the kernel holds for it are written.
//
// Giving pages back with madvise(MADV_DONTNEED) makes them read as zeros, but costs a TLB
// flush on every core this process runs on, and the next owner pays a page fault per page it
// touches again. For a small memory that is about to be reused, writing zeros over just the
// pages that hold data is cheaper on both ends. The kernel says which: the PAGEMAP_SCAN ioctl
// (Linux 6.7) in one call that costs about the same for 1 or 1,000 pages, mincore before it.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <optional>
#include <span>

namespace lunatic {

// How zero_resident_pages asks the kernel which pages hold data.
enum class PageQuery {
  kBest,     // PAGEMAP_SCAN where the kernel has it, else mincore
  kMincore,  // mincore only (kernels before 6.7; also for tests of that path)
};

// Writes zeros over every OS page in [base, base + bytes) that holds data (resident, or
// swapped out); `base` is page-aligned. Pages that only map the shared zero page are left
// alone. Returns the number of bytes zeroed, or nullopt when the kernel cannot tell; then the
// range is not all zeros yet.
std::optional<std::uint64_t> zero_resident_pages(std::uint8_t* base, std::uint64_t bytes,
                                                 PageQuery query = PageQuery::kBest);

// The same for many ranges (page-aligned, ascending, not overlapping) at once: ranges that lie
// within a few MiB of each other are asked about in one walk of the kernel's page tables, so
// zeroing a batch of small memories costs about one system call instead of one each. Returns the
// bytes zeroed in all, or nullopt when the kernel cannot tell; then no range is known to be zero.
std::optional<std::uint64_t> zero_resident_pages(std::span<const iovec> ranges,
                                                 PageQuery query = PageQuery::kBest);

}  // namespace lunatic
