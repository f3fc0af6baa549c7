/* Open-addressing hash map (linear probing, u64 keys): inserts then lookups with cache misses. */
#include "bench.h"

typedef struct {
  uint64_t key;
  uint64_t value;
} slot;

static inline uint64_t hash64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdull;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ull;
  k ^= k >> 33;
  return k;
}

int main(int argc, char** argv) {
  long lookups = bench_size(argc, argv, 12000000);
  const uint64_t cap = 1u << 21; /* 2 Mi slots, 32 MiB */
  const long inserts = 1200000;
  slot* t = calloc(cap, sizeof(slot));
  if (!t) return 2;
  uint64_t s = 99, found = 0, sum = 0;
  uint64_t t0 = bench_now_ns();
  for (long i = 0; i < inserts; i++) {
    uint64_t k = (bench_rand(&s) % 4000000) + 1; /* key 0 marks an empty slot */
    uint64_t h = hash64(k) & (cap - 1);
    while (t[h].key && t[h].key != k) h = (h + 1) & (cap - 1);
    t[h].key = k;
    t[h].value += (uint64_t)i;
  }
  for (long i = 0; i < lookups; i++) {
    uint64_t k = (bench_rand(&s) % 4000000) + 1;
    uint64_t h = hash64(k) & (cap - 1);
    while (t[h].key && t[h].key != k) h = (h + 1) & (cap - 1);
    if (t[h].key == k) {
      found++;
      sum += t[h].value;
    }
  }
  uint64_t t1 = bench_now_ns();
  BENCH_REPORT("hashmap", t1 - t0, "%llu/%llu", (unsigned long long)found, (unsigned long long)sum);
  free(t);
  return 0;
}
