// Prints its arguments and its whole environment, one per line, so a test can compare
// them exactly with what it passed on the command line.
//
//   argc=<n>
//   argv[<i>]=<arg>        for every argument, argv[0] included
//   environ=<n>
//   env[<i>]=<KEY=VALUE>   for every variable, in the order the runtime gave them
//   getenv(FOO)=<value>    or "getenv(FOO)=(null)"
#include <stdio.h>
#include <stdlib.h>

extern char** environ;

int main(int argc, char** argv) {
  printf("argc=%d\n", argc);
  for (int i = 0; i < argc; ++i) printf("argv[%d]=%s\n", i, argv[i]);
  int n = 0;
  while (environ != NULL && environ[n] != NULL) ++n;
  printf("environ=%d\n", n);
  for (int i = 0; i < n; ++i) printf("env[%d]=%s\n", i, environ[i]);
  const char* foo = getenv("FOO");
  printf("getenv(FOO)=%s\n", foo != NULL ? foo : "(null)");
  return 0;
}
