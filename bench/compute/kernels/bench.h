/* Shared helpers for the compute kernels. Each kernel is a standalone program that builds
 * unchanged natively (gcc -O2) and for wasm32-wasi (clang --target=wasm32-wasi -O2). It times
 * only its kernel with CLOCK_MONOTONIC and prints one line:
 *   kernel=<name> ns=<nanoseconds> check=<checksum>
 * The checksum must be identical on every engine (only exact IEEE operations are used: add,
 * sub, mul, div, sqrt; no libm transcendental functions whose implementations differ).
 * An optional first argument overrides the problem size (used by the quick mode). */
#ifndef BENCH_H
#define BENCH_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static inline uint64_t bench_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Problem size: argv[1] when given, else the default. Read at run time so that no compiler can
 * fold the kernel away. */
static inline long bench_size(int argc, char** argv, long dflt) {
  if (argc > 1) {
    long v = strtol(argv[1], NULL, 10);
    if (v > 0) return v;
  }
  return dflt;
}

/* xorshift64*: the same pseudo-random stream everywhere. */
static inline uint64_t bench_rand(uint64_t* state) {
  uint64_t x = *state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *state = x;
  return x * 0x2545F4914F6CDD1Dull;
}

#define BENCH_REPORT(name, ns, fmt, ...)                                                      \
  do {                                                                                        \
    printf("kernel=%s ns=%llu check=" fmt "\n", name, (unsigned long long)(ns), __VA_ARGS__); \
    fflush(stdout);                                                                           \
  } while (0)

#endif
