// A descriptor that names this OS process (/proc/self/pagemap, a pidfd), opened on first use.
//
// A forked child inherits the descriptor, but it still names the parent: through it the child
// would read the parent's page tables, or give away the parent's pages. So a descriptor opened
// before a fork is opened again by the child.
// Thread: get() may be called from any thread.
#pragma once

#include <atomic>
#include <cstdint>

namespace lunatic {

class OwnProcessDescriptor {
 public:
  // `open` returns a new descriptor, or a negative number when there is none to be had.
  explicit OwnProcessDescriptor(int (*open)()) : open_(open) {}

  // The descriptor, or -1 when it cannot be opened (then this is not tried again until a fork).
  int get();

 private:
  int (*open_)();
  // The fork generation it was opened in (high half) and the descriptor + 2 (low half; 0:
  // not opened, 1: unavailable).
  std::atomic<std::uint64_t> state_{0};
};

}  // namespace lunatic
