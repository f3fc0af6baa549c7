// Prints one fixed line: the smallest WASI command.
#include <stdio.h>

int main(void) {
  printf("Hello, world!\n");
  return 0;
}
