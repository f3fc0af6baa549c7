// Divides by a zero the compiler cannot see: i32.div_s traps with "integer divide by zero".
#include <stdio.h>
#include <stdlib.h>

__attribute__((noinline)) int divide_by_zero_here(int a, int b) { return a / b; }

int main(int argc, char** argv) {
  (void)argv;
  volatile int zero = 0;
  int r = divide_by_zero_here(argc + 41, zero);
  printf("quotient %d\n", r);
  return 0;
}
