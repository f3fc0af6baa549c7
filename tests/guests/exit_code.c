// exit_code.wasm <return|exit> <code>: prints one line, then ends with <code> either by
// returning it from main or by calling exit().
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: exit_code <return|exit> <code>\n");
    return 2;
  }
  int code = atoi(argv[2]);
  printf("leaving with %d via %s\n", code, argv[1]);
  if (strcmp(argv[1], "exit") == 0) exit(code);
  return code;
}
