#include "engine/memory/table_storage.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "common/os_pages.hpp"

namespace lunatic::engine {
namespace {

// Storage of this size or more is a mapping of its own; below, heap memory. The kind follows
// from the size alone, and tables never shrink.
constexpr std::uint64_t kMappedBytes = std::uint64_t{1} << 20;

bool is_mapped(std::uint64_t bytes) { return bytes >= kMappedBytes; }

}  // namespace

void* allocate_table_storage(std::uint64_t bytes) {
  if (!is_mapped(bytes)) return std::calloc(std::max<std::uint64_t>(bytes, 1), 1);
  void* data = ::mmap(nullptr, round_to_os_pages(bytes), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  return data == MAP_FAILED ? nullptr : data;
}

void* grow_table_storage(void* data, std::uint64_t old_bytes, std::uint64_t new_bytes) {
  if (!is_mapped(new_bytes)) return std::realloc(data, std::max<std::uint64_t>(new_bytes, 1));
  if (!is_mapped(old_bytes)) {
    void* mapped = allocate_table_storage(new_bytes);
    if (mapped == nullptr) return nullptr;
    std::memcpy(mapped, data, old_bytes);
    std::free(data);
    return mapped;
  }
  void* moved =
      ::mremap(data, round_to_os_pages(old_bytes), round_to_os_pages(new_bytes), MREMAP_MAYMOVE);
  return moved == MAP_FAILED ? nullptr : moved;
}

void free_table_storage(void* data, std::uint64_t bytes) {
  if (data == nullptr) return;
  if (is_mapped(bytes)) {
    ::munmap(data, round_to_os_pages(bytes));
  } else {
    std::free(data);
  }
}

}  // namespace lunatic::engine
