// The guest's descriptor table: guest fd -> host descriptor, kind, rights and flags.
//
// Guest fds 0, 1 and 2 are the standard streams; preopened directories follow from 3 in
// configuration order. A new descriptor takes the lowest free number >= 3 (0-2 are never
// handed out again once closed, as in wasmtime). Thread: owned by one WasiContext, used only
// by the thread running its process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/unique_fd.hpp"
#include "wasi/readdir.hpp"
#include "wasi/wasi_types.hpp"

namespace lunatic::wasi {

struct FdEntry {
  UniqueFd host;  // borrowed (not owned) for the standard streams
  FileType type = FileType::kUnknown;
  bool tty = false;
  bool socket = false;
  Rights rights_base = 0;
  Rights rights_inheriting = 0;
  FdFlags flags = 0;                    // the guest's view: append, dsync, nonblock, rsync, sync
  bool host_nonblocking = false;        // our own description carries O_NONBLOCK
  bool nowait_unsupported = false;      // RWF_NOWAIT was refused (terminals); wait, then read
  std::optional<std::string> preopen;   // the guest name of a preopened directory
  std::unique_ptr<DirListing> listing;  // fd_readdir snapshot, see readdir.hpp

  int fd() const { return host.get(); }
};

class FdTable {
 public:
  static constexpr std::uint32_t kFirstFree = 3;
  static constexpr std::size_t kDefaultMaxFds = 4096;

  explicit FdTable(std::size_t max_fds = kDefaultMaxFds);

  // Returns: the entry of `fd`, or nullptr when it is not open.
  FdEntry* get(std::uint32_t fd);

  // Puts `entry` at the lowest free number >= 3.
  // Returns: the new guest fd, or EMFILE when the table is full.
  Result<std::uint32_t> insert(FdEntry entry);

  // Puts `entry` at exactly `fd`, replacing (and closing) what was there. Used at start-up for
  // the standard streams.
  void place(std::uint32_t fd, FdEntry entry);

  // Frees `fd` and closes its host descriptor if owned.
  // Returns: success, EBADF if not open, or EIO if the host close reported an error.
  Errno close(std::uint32_t fd);

  // Moves the descriptor at `from` to `to`, closing what `to` held; `from` becomes free.
  // Returns: success, or EBADF unless both are open (witx semantics, as wasmtime).
  Errno renumber(std::uint32_t from, std::uint32_t to);

  // Returns: how many descriptors are open.
  std::size_t open_count() const;

 private:
  void release_slot(std::uint32_t fd);

  std::vector<std::optional<FdEntry>> slots_;
  std::set<std::uint32_t> free_;  // free numbers >= 3 below slots_.size()
  std::size_t max_fds_;
};

}  // namespace lunatic::wasi
