#include "common/page_giveback.hpp"

#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdint>

#include "common/own_process_descriptor.hpp"

namespace lunatic {
namespace {

int open_pidfd() {
#if defined(SYS_pidfd_open)
  return static_cast<int>(::syscall(SYS_pidfd_open, ::getpid(), 0));
#else
  return -1;
#endif
}

// This OS process, for process_madvise.
OwnProcessDescriptor g_self(open_pidfd);

std::atomic<bool> g_batch_unsupported{false};

}  // namespace

void give_back_pages_one_by_one(std::span<const iovec> ranges) {
  for (const iovec& range : ranges) {
    if (range.iov_len > 0) ::madvise(range.iov_base, range.iov_len, MADV_DONTNEED);
  }
}

void give_back_pages(std::span<const iovec> ranges) {
#if defined(SYS_process_madvise)
  while (!ranges.empty() && !g_batch_unsupported.load(std::memory_order_relaxed)) {
    const int self = g_self.get();
    if (self < 0) break;
    const std::size_t count = std::min<std::size_t>(ranges.size(), IOV_MAX);
    const long advised =
        ::syscall(SYS_process_madvise, self, ranges.data(), count, MADV_DONTNEED, 0U);
    if (advised < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      // Older kernels refuse MADV_DONTNEED here (EINVAL), or the call itself (ENOSYS, EPERM).
      g_batch_unsupported.store(true, std::memory_order_relaxed);
      break;
    }
    // A short count: the ranges after the advised bytes are left, and go again.
    std::uint64_t done = static_cast<std::uint64_t>(advised);
    std::size_t whole = 0;
    while (whole < count && done >= ranges[whole].iov_len) done -= ranges[whole++].iov_len;
    if (whole < count && done > 0) {
      // Partly advised range: the rest of it goes by itself.
      const iovec& partial = ranges[whole];
      ::madvise(static_cast<char*>(partial.iov_base) + done, partial.iov_len - done, MADV_DONTNEED);
      ++whole;
    }
    if (whole == 0) break;  // no progress: the rest go one by one
    ranges = ranges.subspan(whole);
  }
#endif
  give_back_pages_one_by_one(ranges);
}

}  // namespace lunatic
