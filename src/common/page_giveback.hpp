// Giving pages back to the OS in batches.
//
// madvise(MADV_DONTNEED) ends with a TLB flush on every core that runs a thread of this OS
// process: an interrupt to each of them, which on the virtual machines of docs/benchmarks.md
// costs about 11 us a call with two workers. When a million processes end, the pools give the
// pages of most of their memories and stacks back, and those flushes were half of the time.
// process_madvise takes many ranges and flushes once for all of them (1 us a range here).
// Thread: any.
#pragma once

#include <sys/uio.h>

#include <span>

namespace lunatic {

// Batches of this many ranges make one call.
inline constexpr std::size_t kGiveBackBatch = 64;

// Gives the pages of every range back to the OS; they read as zeros afterwards. One
// process_madvise call where the kernel has it (Linux 5.10; MADV_DONTNEED from 6.13), else one
// madvise per range. Ranges must be page-aligned.
void give_back_pages(std::span<const iovec> ranges);

// The same with one madvise per range, whatever the kernel has (for tests of that path).
void give_back_pages_one_by_one(std::span<const iovec> ranges);

}  // namespace lunatic
