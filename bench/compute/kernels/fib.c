/* Recursive Fibonacci: call overhead (function-entry preemption checks show up here). */
#include "bench.h"

__attribute__((noinline)) static uint32_t fib(uint32_t n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char** argv) {
  uint32_t n = (uint32_t)bench_size(argc, argv, 41);
  uint64_t t0 = bench_now_ns();
  uint32_t r = fib(n);
  uint64_t t1 = bench_now_ns();
  BENCH_REPORT("fib", t1 - t0, "%u", r);
  return 0;
}
