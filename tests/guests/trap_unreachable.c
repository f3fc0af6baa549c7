// Prints a line, then executes `unreachable` inside trap_here_please (kept out of line so the
// name section names the function that traps).
#include <stdio.h>

__attribute__((noinline)) int trap_here_please(int x) {
  if (x > 0) __builtin_trap();
  return x;
}

int main(int argc, char** argv) {
  (void)argv;
  printf("about to trap\n");
  fflush(stdout);
  int r = trap_here_please(argc);
  printf("still alive %d\n", r);
  return 0;
}
