// Grows linear memory one page at a time up to its declared maximum (16 pages, set at link
// time), writes to the last byte, then asks for one page more, which must fail with -1.
// guest-flags: -Wl,--max-memory=1048576
#include <stdio.h>
#include <string.h>

int main(void) {
  const int max_pages = 16;
  int grows = 0;
  while ((int)__builtin_wasm_memory_size(0) < max_pages) {
    int before = (int)__builtin_wasm_memory_size(0);
    int r = (int)__builtin_wasm_memory_grow(0, 1);
    if (r != before) {
      printf("grow from %d pages returned %d\n", before, r);
      return 1;
    }
    ++grows;
  }
  printf("size=%d pages\n", (int)__builtin_wasm_memory_size(0));
  volatile unsigned char* last = (volatile unsigned char*)(max_pages * 65536 - 1);
  *last = 0xA5;
  printf("last byte=%s\n", *last == 0xA5 ? "ok" : "wrong");
  printf("grow past max=%d\n", (int)__builtin_wasm_memory_grow(0, 1));
  printf("grow by 65536 pages=%d\n", (int)__builtin_wasm_memory_grow(0, 65536));
  printf("size after=%d pages\n", (int)__builtin_wasm_memory_size(0));
  printf("grew %s\n", grows > 0 ? "at least once" : "never");
  return 0;
}
