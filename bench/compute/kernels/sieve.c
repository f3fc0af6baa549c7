/* Sieve of Eratosthenes over a byte array, repeated: tight loops and byte stores. */
#include <string.h>
#include "bench.h"

int main(int argc, char** argv) {
  long n = bench_size(argc, argv, 16000000);
  unsigned char* composite = malloc((size_t)n + 1);
  if (!composite) return 2;
  uint64_t total = 0;
  uint64_t t0 = bench_now_ns();
  for (int rep = 0; rep < 16; rep++) {
    memset(composite, 0, (size_t)n + 1);
    long limit = n - rep * 1000; /* vary the bound so repetitions are not identical */
    for (long i = 2; i * i <= limit; i++)
      if (!composite[i])
        for (long j = i * i; j <= limit; j += i) composite[j] = 1;
    uint64_t count = 0;
    for (long i = 2; i <= limit; i++) count += !composite[i];
    total = total * 31 + count;
  }
  uint64_t t1 = bench_now_ns();
  BENCH_REPORT("sieve", t1 - t0, "%llu", (unsigned long long)total);
  free(composite);
  return 0;
}
