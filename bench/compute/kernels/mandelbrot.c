/* Mandelbrot set escape-time counts: f64 multiply/add in a data-dependent inner loop. */
#include "bench.h"

int main(int argc, char** argv) {
  long size = bench_size(argc, argv, 1400);
  const int max_iter = 200;
  uint64_t total = 0, inside = 0;
  uint64_t t0 = bench_now_ns();
  for (long py = 0; py < size; py++) {
    double ci = 2.0 * (double)py / (double)size - 1.0;
    for (long px = 0; px < size; px++) {
      double cr = 2.0 * (double)px / (double)size - 1.5;
      double zr = 0, zi = 0, zr2 = 0, zi2 = 0;
      int it = 0;
      while (it < max_iter && zr2 + zi2 <= 4.0) {
        zi = 2.0 * zr * zi + ci;
        zr = zr2 - zi2 + cr;
        zr2 = zr * zr;
        zi2 = zi * zi;
        it++;
      }
      total += (uint64_t)it;
      inside += it == max_iter;
    }
  }
  uint64_t t1 = bench_now_ns();
  BENCH_REPORT("mandelbrot", t1 - t0, "%llu/%llu", (unsigned long long)total,
               (unsigned long long)inside);
  return 0;
}
