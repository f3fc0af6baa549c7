#include "wasi/fd_table.hpp"

#include <utility>

#include "wasi/errno_map.hpp"

namespace lunatic::wasi {

FdTable::FdTable(std::size_t max_fds) : slots_(kFirstFree), max_fds_(max_fds) {}

FdEntry* FdTable::get(std::uint32_t fd) {
  if (fd >= slots_.size() || !slots_[fd]) return nullptr;
  return &*slots_[fd];
}

Result<std::uint32_t> FdTable::insert(FdEntry entry) {
  std::uint32_t fd;
  if (!free_.empty()) {
    fd = *free_.begin();
    free_.erase(free_.begin());
  } else {
    if (slots_.size() >= max_fds_) return Errno::kMfile;
    fd = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
  }
  slots_[fd].emplace(std::move(entry));
  return fd;
}

void FdTable::place(std::uint32_t fd, FdEntry entry) {
  if (fd >= slots_.size()) {
    for (auto i = static_cast<std::uint32_t>(slots_.size()); i < fd; ++i) {
      if (i >= kFirstFree) free_.insert(i);
    }
    slots_.resize(static_cast<std::size_t>(fd) + 1);
  }
  free_.erase(fd);
  slots_[fd].emplace(std::move(entry));
}

Errno FdTable::close(std::uint32_t fd) {
  FdEntry* entry = get(fd);
  if (entry == nullptr) return Errno::kBadf;
  int error = entry->host.close();
  release_slot(fd);
  return error == 0 ? Errno::kSuccess : errno_from_host(error);
}

Errno FdTable::renumber(std::uint32_t from, std::uint32_t to) {
  if (get(from) == nullptr || get(to) == nullptr) return Errno::kBadf;
  if (from == to) return Errno::kSuccess;
  slots_[to] = std::move(slots_[from]);  // the old entry at `to` closes its host descriptor
  release_slot(from);
  return Errno::kSuccess;
}

std::size_t FdTable::open_count() const {
  std::size_t n = 0;
  for (const auto& slot : slots_) n += slot.has_value() ? 1 : 0;
  return n;
}

void FdTable::release_slot(std::uint32_t fd) {
  slots_[fd].reset();
  if (fd >= kFirstFree) free_.insert(fd);
}

}  // namespace lunatic::wasi
