/* Dense f64 matrix multiply, i-k-j order: memory access pattern and f64 multiply-add. */
#include "bench.h"

int main(int argc, char** argv) {
  long n = bench_size(argc, argv, 640);
  double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n * n);
  double* c = calloc((size_t)(n * n), sizeof(double));
  if (!a || !b || !c) return 2;
  uint64_t s = 42;
  /* Small integers scaled by 1/64: every product and partial sum is exact in f64, so any
   * evaluation order (and any fused multiply-add) gives the same result. */
  for (long i = 0; i < n * n; i++) {
    a[i] = (double)(bench_rand(&s) % 64) / 64.0;
    b[i] = (double)(bench_rand(&s) % 64) / 64.0;
  }
  uint64_t t0 = bench_now_ns();
  for (int rep = 0; rep < 4; rep++) {
    for (long i = 0; i < n; i++)
      for (long k = 0; k < n; k++) {
        double aik = a[i * n + k];
        double* ci = c + i * n;
        const double* bk = b + k * n;
        for (long j = 0; j < n; j++) ci[j] += aik * bk[j];
      }
  }
  uint64_t t1 = bench_now_ns();
  double sum = 0;
  for (long i = 0; i < n * n; i++) sum += c[i] * (double)((i % 7) + 1);
  BENCH_REPORT("matmul", t1 - t0, "%.17g", sum);
  free(a);
  free(b);
  free(c);
  return 0;
}
