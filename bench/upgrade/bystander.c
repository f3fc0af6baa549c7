/* The "upgrade" benchmark's third module, which no upgrade touches. Its bystander sleeps 1 ms at
 * a time and measures how late each wake-up comes (time after the sleep's end): between main's
 * TAG_START and TAG_END it keeps the count, the maximum and the sum of the lateness and then
 * sends them to main, what an upgrade of other processes costs a process that goes on. It
 * answers TAG_START at once, so main begins a window only once it is in its sleeps: a message
 * that wakes it just before the upgrade would be queued behind the processes the upgrade wakes,
 * and that delay would not be seen. Its spinners keep the workers busy for a reference. */
#include <sched.h>

#include "upgrade_bench.h"

EXPORT("bystander") void bystander(int64_t parent, int64_t unused) {
  (void)unused;
  for (;;) {
    if (receive_tag(TAG_START, LUNATIC_NO_TIMEOUT) != LUNATIC_MESSAGE_DATA) continue;
    uint64_t report[3] = {0, 0, 0}; /* wake-ups, max late ns, sum late ns */
    send_u64s((uint64_t)parent, TAG_MEASURING, 0, 0);
    do {
      uint64_t due = now_ns() + 1000000;
      lunatic_sleep_ms(1);
      uint64_t now = now_ns();
      uint64_t late = now > due ? now - due : 0;
      report[0]++;
      if (late > report[1]) report[1] = late;
      report[2] += late;
    } while (receive_tag(TAG_END, 0) != LUNATIC_MESSAGE_DATA);
    send_u64s((uint64_t)parent, TAG_LATENESS, report, 3);
  }
}

/* Computes in pieces of 10 us, yielding between them, until TAG_END: keeps a worker busy, as
 * the processes an upgrade moves do, without holding it. */
EXPORT("spinner") void spinner(int64_t unused_a, int64_t unused_b) {
  (void)unused_a;
  (void)unused_b;
  do {
    uint64_t until = now_ns() + 10000;
    while (now_ns() < until) {
    }
    sched_yield();
  } while (receive_tag(TAG_END, 0) != LUNATIC_MESSAGE_DATA);
}

int main(void) { return 2; } /* compiled by upgrade_v1.wasm, never run */
