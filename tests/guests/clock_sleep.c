// Clocks, sleep and randomness:
//   monotonic: ok           CLOCK_MONOTONIC never goes back over 1000 reads and advances
//   slept at least 10 ms: ok   nanosleep(10 ms) takes at least 10 ms of CLOCK_MONOTONIC
//   getentropy: ok          two 32-byte draws succeed, are not all zero and differ
//   realtime=<seconds>      CLOCK_REALTIME, for the test to compare with the host's clock
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t ns(clockid_t clock) {
  struct timespec ts;
  if (clock_gettime(clock, &ts) != 0) return -1;
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(void) {
  int64_t first = ns(CLOCK_MONOTONIC);
  int64_t prev = first;
  int monotonic = first >= 0;
  for (int i = 0; i < 1000 && monotonic; ++i) {
    int64_t now = ns(CLOCK_MONOTONIC);
    if (now < prev) monotonic = 0;
    prev = now;
  }
  struct timespec pause = {0, 1000000};  // 1 ms, so the clock surely moves
  nanosleep(&pause, NULL);
  if (ns(CLOCK_MONOTONIC) <= first) monotonic = 0;
  printf("monotonic: %s\n", monotonic ? "ok" : "FAIL");

  struct timespec ten_ms = {0, 10000000};
  int64_t before = ns(CLOCK_MONOTONIC);
  int rc = nanosleep(&ten_ms, NULL);
  int64_t slept = ns(CLOCK_MONOTONIC) - before;
  if (rc == 0 && slept >= 10000000) {
    printf("slept at least 10 ms: ok\n");
  } else {
    printf("slept at least 10 ms: FAIL (rc %d, %lld ns)\n", rc, (long long)slept);
  }

  unsigned char a[32], b[32], zero[32] = {0};
  int e1 = getentropy(a, sizeof a);
  int e2 = getentropy(b, sizeof b);
  int ok = e1 == 0 && e2 == 0 && memcmp(a, zero, 32) != 0 && memcmp(a, b, 32) != 0;
  printf("getentropy: %s\n", ok ? "ok" : "FAIL");

  printf("realtime=%lld\n", (long long)(ns(CLOCK_REALTIME) / 1000000000));
  return 0;
}
