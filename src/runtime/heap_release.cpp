#include "runtime/heap_release.hpp"

#include <malloc.h>

// Present only when the executable links mimalloc (CMake's LUNATIC_MIMALLOC): weak, so the
// library and its tests also run on glibc's allocator.
extern "C" void mi_collect(bool force) __attribute__((weak));

namespace lunatic::runtime {

void release_free_memory() {
  if (mi_collect != nullptr) {
    mi_collect(true);
  } else {
    ::malloc_trim(0);
  }
}

}  // namespace lunatic::runtime
