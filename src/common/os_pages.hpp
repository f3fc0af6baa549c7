// The OS page size, and sizes rounded up to whole pages (what mmap, mremap, munmap and the
// page give-back functions work in).
#pragma once

#include <unistd.h>

#include <cstdint>

namespace lunatic {

inline std::uint64_t os_page_size() {
  static const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  return page;
}

inline std::uint64_t round_to_os_pages(std::uint64_t bytes) {
  const std::uint64_t page = os_page_size();
  return (bytes + page - 1) / page * page;
}

}  // namespace lunatic
