/* Native anchor for the spawn benchmark: what the first write to a fresh 4 KiB page costs on this
 * machine. A spawned process must touch at least its stack's top page and, for a module with data,
 * the page its data segment is copied to; each such first touch is a minor page fault, whose cost
 * depends on the kernel and the hypervisor rather than on the runtime.
 *
 *   pagetouch N    maps N fresh pages (no huge pages), writes one byte to each, times the loop
 *
 * Prints "procs: mode=pagetouch n=N ns=... checked=N" like procs.c, checked = pages whose byte
 * reads back. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: pagetouch N\n");
    return 2;
  }
  const size_t pages = strtoull(argv[1], NULL, 10);
  const size_t page = 4096;
  if (pages == 0) {
    fprintf(stderr, "pagetouch: N must be positive\n");
    return 2;
  }
  volatile uint8_t* base = mmap(NULL, pages * page, PROT_READ | PROT_WRITE,
                                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (base == MAP_FAILED) {
    perror("pagetouch: mmap");
    return 1;
  }
  madvise((void*)base, pages * page, MADV_NOHUGEPAGE); /* as the runtime's stacks and memories */
  const uint64_t t0 = now_ns();
  for (size_t i = 0; i < pages; i++) base[i * page] = (uint8_t)(i | 1);
  const uint64_t t1 = now_ns();
  size_t checked = 0;
  for (size_t i = 0; i < pages; i++) checked += base[i * page] == (uint8_t)(i | 1);
  printf("procs: mode=pagetouch n=%zu ns=%llu checked=%zu\n", pages, (unsigned long long)(t1 - t0),
         checked);
  return checked == pages ? 0 : 1;
}
