// Tells AddressSanitizer about fiber switches, so it checks each fiber against its own stack
// (without this it reports frames on a fiber stack as overflows of the thread's stack).
// Compiles to nothing in normal builds.
#pragma once

#include <cstddef>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define LUNATIC_FIBER_ASAN 1
#else
#define LUNATIC_FIBER_ASAN 0
#endif

namespace lunatic::runtime {

struct FiberSanitizer {
  void* fake_stack = nullptr;
  const void* other_bottom = nullptr;  // the stack we came from (the worker's, seen by the fiber)
  std::size_t other_size = 0;

  // Before switching to the stack [bottom, bottom + size); `dying` when the current fiber ends.
  void start_switch(const void* bottom, std::size_t size, bool dying = false) {
#if LUNATIC_FIBER_ASAN
    __sanitizer_start_switch_fiber(dying ? nullptr : &fake_stack, bottom, size);
#else
    (void)bottom, (void)size, (void)dying;
#endif
  }
  // Right after arriving on a stack; remembers the stack we came from.
  void finish_switch() {
#if LUNATIC_FIBER_ASAN
    __sanitizer_finish_switch_fiber(fake_stack, &other_bottom, &other_size);
#endif
  }
};

}  // namespace lunatic::runtime
