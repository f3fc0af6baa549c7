/* Quicksort of pseudo-random 32-bit ints (own implementation, not libc qsort): branches,
 * compares and swaps. Recurses on the smaller part so the depth stays O(log n). */
#include "bench.h"

static void insertion(int32_t* a, long n) {
  for (long i = 1; i < n; i++) {
    int32_t v = a[i];
    long j = i - 1;
    while (j >= 0 && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

static void quicksort(int32_t* a, long n) {
  while (n > 16) {
    int32_t x = a[0], y = a[n / 2], z = a[n - 1];
    int32_t pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    long i = 0, j = n - 1;
    for (;;) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i >= j) break;
      int32_t t = a[i];
      a[i] = a[j];
      a[j] = t;
      i++;
      j--;
    }
    long left = j + 1;
    if (left < n - left) {
      quicksort(a, left);
      a += left;
      n -= left;
    } else {
      quicksort(a + left, n - left);
      n = left;
    }
  }
  insertion(a, n);
}

int main(int argc, char** argv) {
  long n = bench_size(argc, argv, 6000000);
  int32_t* a = malloc(sizeof(int32_t) * (size_t)n);
  if (!a) return 2;
  uint64_t s = 12345;
  for (long i = 0; i < n; i++) a[i] = (int32_t)(uint32_t)bench_rand(&s);
  uint64_t t0 = bench_now_ns();
  quicksort(a, n);
  uint64_t t1 = bench_now_ns();
  uint64_t check = 0;
  for (long i = 0; i < n; i++) {
    if (i > 0 && a[i - 1] > a[i]) {
      printf("not sorted at %ld\n", i);
      return 3;
    }
    check = check * 1000003u + (uint32_t)a[i];
  }
  BENCH_REPORT("quicksort", t1 - t0, "%llu", (unsigned long long)check);
  free(a);
  return 0;
}
