#include "engine/resident_pages.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace lunatic::engine {

std::optional<std::uint64_t> zero_resident_pages(std::uint8_t* base, std::uint64_t bytes) {
  static const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
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

void populate_pages(std::uint8_t* begin, std::uint64_t bytes) {
  static const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto low = reinterpret_cast<std::uintptr_t>(begin) & ~(page - 1);
  const auto high = (reinterpret_cast<std::uintptr_t>(begin) + bytes + page - 1) & ~(page - 1);
  if (high > low) ::madvise(reinterpret_cast<void*>(low), high - low, MADV_POPULATE_WRITE);
}

}  // namespace lunatic::engine
