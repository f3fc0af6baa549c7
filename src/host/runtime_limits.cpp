#include "host/runtime_limits.hpp"

#include <unistd.h>

namespace lunatic::host {

std::uint64_t physical_memory_bytes() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return std::uint64_t{4} << 30;  // unknown: assume 4 GiB
  return static_cast<std::uint64_t>(pages) * static_cast<std::uint64_t>(page_size);
}

BudgetLimits runtime_limits(std::optional<std::uint64_t> max_processes,
                            std::optional<std::uint64_t> max_memory) {
  const std::uint64_t memory = physical_memory_bytes();
  BudgetLimits limits;
  limits.max_processes = max_processes.value_or(memory / (32 * 1024));
  limits.max_memory_bytes = max_memory.value_or(memory);
  return limits;
}

}  // namespace lunatic::host
