// A first guest: it greets, reads its arguments and environment, computes, writes and reads
// a file in the directory it was given, and exits with a code of its choosing.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned long long collatz_steps(unsigned long long limit) {
  unsigned long long total = 0;
  for (unsigned long long n = 1; n < limit; ++n) {
    for (unsigned long long x = n; x != 1; x = (x & 1) ? 3 * x + 1 : x / 2) ++total;
  }
  return total;
}

int main(int argc, char** argv) {
  printf("Hello from a WebAssembly process, compiled to native code.\n");
  for (int i = 1; i < argc; ++i) printf("  argument %d: %s\n", i, argv[i]);
  const char* who = getenv("GREETING_NAME");
  printf("  GREETING_NAME is %s\n", who ? who : "(not set)");

  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  unsigned long long steps = collatz_steps(300000);
  clock_gettime(CLOCK_MONOTONIC, &end);
  double ms = (end.tv_sec - start.tv_sec) * 1e3 + (end.tv_nsec - start.tv_nsec) / 1e6;
  printf("  Collatz steps below 300000: %llu (%.1f ms)\n", steps, ms);

  FILE* out = fopen("/sandbox/note.txt", "w");
  if (out == NULL) {
    printf("  no /sandbox preopened: run with --dir HOST:/sandbox\n");
    return 2;
  }
  fprintf(out, "written by a guest\n");
  fclose(out);
  char line[64] = {0};
  FILE* in = fopen("/sandbox/note.txt", "r");
  if (in == NULL || fgets(line, sizeof line, in) == NULL) return 3;
  fclose(in);
  printf("  read back from the sandbox: %s", line);
  FILE* escape = fopen("/sandbox/../../etc/passwd", "r");
  printf("  escaping the sandbox through ..: %s\n", escape ? "POSSIBLE (bug!)" : "denied");
  return escape ? 4 : 0;
}
