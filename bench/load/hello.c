/* The smallest useful guest: what `lunatic run hello.wasm` costs end to end. */
#include <stdio.h>

int main(void) {
  printf("hello, world\n");
  return 0;
}
