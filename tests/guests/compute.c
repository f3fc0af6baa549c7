// A compute-bound program whose output depends on every iteration: 10^8 steps of a mixing
// loop, array passes, recursion and indirect calls, ending in one checksum line. Built both for
// wasm32-wasi and natively (as compute_native); the two must print the same thing, so only
// fixed-width integer arithmetic is used.
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint32_t table[4096];

__attribute__((noinline)) static uint64_t mix_loop(uint64_t n, uint64_t seed) {
  uint64_t x = seed;
  uint64_t acc = 0;
  for (uint64_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    acc += (x >> 3) ^ (i * 0x9E3779B97F4A7C15ull);
  }
  return acc ^ x;
}

__attribute__((noinline)) static uint32_t array_passes(int passes) {
  for (uint32_t i = 0; i < 4096; ++i) table[i] = i * 2654435761u;
  uint32_t h = 0;
  for (int p = 0; p < passes; ++p) {
    for (uint32_t i = 1; i < 4096; ++i) {
      table[i] += table[i - 1] ^ (uint32_t)p;
      h = (h * 31u) ^ table[table[i] & 4095u];
    }
  }
  return h;
}

__attribute__((noinline)) static uint32_t fib(uint32_t n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static uint32_t op_add(uint32_t a, uint32_t b) { return a + b; }
static uint32_t op_xor(uint32_t a, uint32_t b) { return a ^ b; }
static uint32_t op_rot(uint32_t a, uint32_t b) {
  return (a << (b & 31u)) | (a >> ((32u - (b & 31u)) & 31u));
}
static uint32_t op_mul(uint32_t a, uint32_t b) { return a * (b | 1u); }
static uint32_t (*const ops[4])(uint32_t, uint32_t) = {op_add, op_xor, op_rot, op_mul};

__attribute__((noinline)) static uint32_t indirect_calls(uint32_t n) {
  uint32_t v = 1;
  for (uint32_t i = 0; i < n; ++i) v = ops[(v ^ i) & 3u](v, i);
  return v;
}

int main(int argc, char** argv) {
  // The iteration count can be given, so that a quick run is possible; the default is 10^8.
  uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 10) : 100000000ull;
  uint64_t a = mix_loop(n, 0x123456789ABCDEFull);
  uint32_t b = array_passes(500);
  uint32_t c = fib(27);
  uint32_t d = indirect_calls(3000000u);
  uint64_t sum = a ^ ((uint64_t)b << 32) ^ ((uint64_t)c << 16) ^ d;
  printf("mix=%016" PRIx64 " array=%08" PRIx32 " fib=%" PRIu32 " indirect=%08" PRIx32 "\n", a, b, c,
         d);
  printf("checksum=%016" PRIx64 "\n", sum);
  return 0;
}
