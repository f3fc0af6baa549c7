// Unbounded recursion that lives on the wasm call stack (no address-taken locals, so nothing
// lands on the shadow stack in linear memory) and that the compiler cannot turn into a loop
// (the recursive call goes through a volatile function pointer and its result is used).
// Must trap with "call stack exhausted".
#include <stdio.h>

static int recurse_forever(int depth);
static int (*volatile next)(int) = recurse_forever;

__attribute__((noinline)) static int recurse_forever(int depth) {
  return next(depth + 1) * 3 + depth;
}

int main(void) {
  printf("recursing\n");
  fflush(stdout);
  int r = next(0);
  printf("returned %d\n", r);
  return 0;
}
