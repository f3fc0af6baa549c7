// Giving freed heap memory back to the OS. The allocators keep what is freed for reuse: a
// flooded mailbox of hundreds of MiB stays resident after its process is gone, unless the
// allocator is told to let go.
// Thread: any; each call releases what the calling thread's heap holds (mimalloc keeps a heap
// per thread, so every worker calls it for its own).
#pragma once

namespace lunatic::runtime {

// mi_collect(true) when the executable runs on mimalloc, malloc_trim(0) otherwise.
void release_free_memory();

}  // namespace lunatic::runtime
