// Imports two functions no host provides, env.foo : (i32 i32) -> (i32) and
// env.bar : (i64 f64) -> (), and prints a line before calling them. The runtime must refuse
// the module before _start runs, so the line must never appear.
#include <stdio.h>

__attribute__((import_module("env"), import_name("foo"))) int foo(int, int);
__attribute__((import_module("env"), import_name("bar"))) void bar(long long, double);

int main(int argc, char** argv) {
  (void)argv;
  printf("_start ran\n");
  fflush(stdout);
  bar(argc, 1.5);
  return foo(argc, 2);
}
