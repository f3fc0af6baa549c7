// INT_MIN / -1 with operands the compiler cannot see: i32.div_s traps with "integer overflow".
#include <limits.h>
#include <stdio.h>

__attribute__((noinline)) int overflow_here(int a, int b) { return a / b; }

int main(void) {
  volatile int min = INT_MIN;
  volatile int minus_one = -1;
  int r = overflow_here(min, minus_one);
  printf("quotient %d\n", r);
  return 0;
}
