// Calls a function through a pointer cast to another type: call_indirect finds a function of a
// different signature and traps with "indirect call type mismatch".
#include <stdio.h>

typedef int (*two_ints)(int, int);

__attribute__((noinline)) double takes_a_double(double d) { return d * 2.0; }

static void* volatile target = (void*)&takes_a_double;

int main(void) {
  two_ints f = (two_ints)target;
  int r = f(1, 2);
  printf("result %d\n", r);
  return 0;
}
