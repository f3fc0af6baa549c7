#include "common/resident_pages.hpp"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "common/os_pages.hpp"
#include "common/own_process_descriptor.hpp"

namespace lunatic {
namespace {

// The PAGEMAP_SCAN interface of <linux/fs.h> (Linux 6.7), which Debian 12's headers predate.
struct PageRegion {
  std::uint64_t start;
  std::uint64_t end;
  std::uint64_t categories;
};
struct PageScanArg {
  std::uint64_t size;
  std::uint64_t flags;
  std::uint64_t start;
  std::uint64_t end;
  std::uint64_t walk_end;
  std::uint64_t vec;
  std::uint64_t vec_len;
  std::uint64_t max_pages;
  std::uint64_t category_inverted;
  std::uint64_t category_mask;
  std::uint64_t category_anyof_mask;
  std::uint64_t return_mask;
};
constexpr unsigned long kPagemapScan = _IOWR('f', 16, PageScanArg);
constexpr std::uint64_t kPageIsPresent = 1u << 3;
constexpr std::uint64_t kPageIsSwapped = 1u << 4;
constexpr std::uint64_t kPageIsPfnZero = 1u << 5;

int open_pagemap() { return ::open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC); }

OwnProcessDescriptor g_pagemap(open_pagemap);

enum class ScanResult { kDone, kUnsupported, kFailed };

// One PAGEMAP_SCAN walks at most this much address space: ranges closer together than this are
// asked about in one walk, which costs little more than asking about one of them.
constexpr std::uint64_t kScanSpanBytes = std::uint64_t{8} << 20;

std::uint64_t range_begin(const iovec& range) {
  return reinterpret_cast<std::uint64_t>(range.iov_base);
}
std::uint64_t range_end(const iovec& range) { return range_begin(range) + range.iov_len; }

// Zeroes the pages of `ranges` (ascending, inside [start, end)) that hold data, as PAGEMAP_SCAN
// reports them: one system call per 32 runs of such pages in [start, end), however long. Pages
// between the ranges are reported too and left alone.
ScanResult zero_scanned_span(int pagemap, std::uint64_t start, std::uint64_t end,
                             std::span<const iovec> ranges, std::uint64_t& zeroed) {
  std::array<PageRegion, 32> regions;
  PageScanArg scan{};
  scan.size = sizeof scan;
  scan.start = start;
  scan.end = end;
  scan.category_anyof_mask = kPageIsPresent | kPageIsSwapped;
  scan.return_mask = kPageIsPresent | kPageIsSwapped | kPageIsPfnZero;
  std::size_t first = 0;  // regions come in ascending order, so earlier ranges are done
  while (scan.start < scan.end) {
    scan.vec = reinterpret_cast<std::uint64_t>(regions.data());
    scan.vec_len = regions.size();
    const int found = ::ioctl(pagemap, kPagemapScan, &scan);
    if (found < 0) {
      if (errno == EINTR) continue;
      return errno == ENOTTY || errno == EINVAL ? ScanResult::kUnsupported : ScanResult::kFailed;
    }
    for (int i = 0; i < found; ++i) {
      const PageRegion& region = regions[static_cast<std::size_t>(i)];
      if ((region.categories & kPageIsPfnZero) != 0) continue;  // reads as zeros already
      while (first < ranges.size() && range_end(ranges[first]) <= region.start) ++first;
      for (std::size_t k = first; k < ranges.size() && range_begin(ranges[k]) < region.end; ++k) {
        const std::uint64_t low = std::max(region.start, range_begin(ranges[k]));
        const std::uint64_t high = std::min(region.end, range_end(ranges[k]));
        if (low >= high) continue;
        std::memset(reinterpret_cast<void*>(low), 0, high - low);
        zeroed += high - low;
      }
    }
    if (scan.walk_end <= scan.start) return ScanResult::kFailed;  // no progress: do not spin
    scan.start = scan.walk_end;
  }
  return ScanResult::kDone;
}

// The same for ascending ranges anywhere: neighbours within kScanSpanBytes share a walk.
ScanResult zero_scanned_ranges(int pagemap, std::span<const iovec> ranges, std::uint64_t& zeroed) {
  for (std::size_t i = 0; i < ranges.size();) {
    const std::uint64_t start = range_begin(ranges[i]);
    std::uint64_t end = range_end(ranges[i]);
    std::size_t j = i + 1;
    while (j < ranges.size() && range_end(ranges[j]) - start <= kScanSpanBytes)
      end = range_end(ranges[j++]);
    const ScanResult result =
        zero_scanned_span(pagemap, start, end, ranges.subspan(i, j - i), zeroed);
    if (result != ScanResult::kDone) return result;
    i = j;
  }
  return ScanResult::kDone;
}

// The same with mincore, which reports a page swapped out (and not in the swap cache) as not
// resident: on a kernel without PAGEMAP_SCAN, a system with swap gives such memory back.
std::optional<std::uint64_t> zero_mincore_pages(std::uint8_t* base, std::uint64_t bytes) {
  const std::uint64_t page = os_page_size();
  const std::uint64_t pages = (bytes + page - 1) / page;
  std::array<unsigned char, 1024> resident;  // one query per 4 MiB of 4 KiB pages
  std::uint64_t zeroed = 0;
  for (std::uint64_t first = 0; first < pages; first += resident.size()) {
    const std::uint64_t count = std::min<std::uint64_t>(resident.size(), pages - first);
    // On failure the caller gives the whole range back instead, which zeroes it too.
    if (::mincore(base + first * page, count * page, resident.data()) != 0) return std::nullopt;
    // Runs of resident pages are zeroed with one memset each.
    for (std::uint64_t i = 0; i < count;) {
      if ((resident[i] & 1) == 0) {
        ++i;
        continue;
      }
      std::uint64_t end = i + 1;
      while (end < count && (resident[end] & 1) != 0) ++end;
      std::memset(base + (first + i) * page, 0, (end - i) * page);
      zeroed += (end - i) * page;
      i = end;
    }
  }
  return zeroed;
}

bool swap_is_configured() {
  // /proc/swaps has a header line, then one line per swap area.
  const int fd = ::open("/proc/swaps", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return true;  // cannot tell: assume the worst
  std::array<char, 256> text{};
  const ssize_t length = ::read(fd, text.data(), text.size() - 1);
  ::close(fd);
  if (length < 0) return true;
  const char* newline = std::strchr(text.data(), '\n');
  return newline != nullptr && newline[1] != '\0';
}

}  // namespace

std::optional<std::uint64_t> zero_resident_pages(std::span<const iovec> ranges, PageQuery query) {
  static std::atomic<bool> scan_unsupported{false};
  if (query == PageQuery::kBest && !scan_unsupported.load(std::memory_order_relaxed)) {
    const int pagemap = g_pagemap.get();
    if (pagemap >= 0) {
      std::uint64_t zeroed = 0;
      switch (zero_scanned_ranges(pagemap, ranges, zeroed)) {
        case ScanResult::kDone:
          return zeroed;
        case ScanResult::kFailed:
          return std::nullopt;
        case ScanResult::kUnsupported:
          scan_unsupported.store(true, std::memory_order_relaxed);
          break;
      }
    }
    static const bool swap = swap_is_configured();
    if (swap) return std::nullopt;
  }
  std::uint64_t zeroed = 0;
  for (const iovec& range : ranges) {
    const auto bytes =
        zero_mincore_pages(static_cast<std::uint8_t*>(range.iov_base), range.iov_len);
    if (!bytes) return std::nullopt;
    zeroed += *bytes;
  }
  return zeroed;
}

std::optional<std::uint64_t> zero_resident_pages(std::uint8_t* base, std::uint64_t bytes,
                                                 PageQuery query) {
  const iovec range{base, bytes};
  return zero_resident_pages(std::span<const iovec>(&range, 1), query);
}

}  // namespace lunatic
