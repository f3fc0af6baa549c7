// Loads from an address far beyond the end of linear memory (a few pages): traps with
// "out of bounds memory access". The address comes from a volatile so it is really loaded.
#include <stdint.h>
#include <stdio.h>

__attribute__((noinline)) int load_out_of_bounds(uintptr_t addr) { return *(volatile int*)addr; }

int main(void) {
  volatile uintptr_t addr = 0xFFFFFF00u;
  printf("memory pages %d\n", (int)__builtin_wasm_memory_size(0));
  fflush(stdout);
  int v = load_out_of_bounds(addr);
  printf("loaded %d\n", v);
  return 0;
}
