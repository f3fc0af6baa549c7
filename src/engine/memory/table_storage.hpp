// Where a table's entries live. Small tables are on the heap; a table of a MiB or more has a
// mapping of its own, so growing it moves its pages (mremap) instead of copying hundreds of
// MiB on a worker, as realloc did for a table of millions of entries.
#pragma once

#include <cstdint>

namespace lunatic::engine {

// Returns: `bytes` of zeros (at least one byte's worth of storage), or nullptr when the host is
// out of memory.
void* allocate_table_storage(std::uint64_t bytes);

// Grows storage of `old_bytes` made by these functions to `new_bytes` (>= old_bytes), keeping
// its contents; what is new is not cleared. Returns: the storage, perhaps moved, or nullptr
// when the host is out of memory (the old storage is kept then).
void* grow_table_storage(void* data, std::uint64_t old_bytes, std::uint64_t new_bytes);

void free_table_storage(void* data, std::uint64_t bytes);

}  // namespace lunatic::engine
