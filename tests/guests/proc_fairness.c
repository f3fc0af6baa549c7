// proc_fairness.wasm [spinners]: scheduling fairness beside processes that compute forever.
//
// Spawns 100 children (or [spinners]) that say hello and then spin in a loop without calling the
// host. Once all have run, main sleeps 1 ms 200 times and measures how late each wake is by the
// monotonic clock:
//   spinners running: 100
//   early wakes: 0                  sleep_ms(1) never returns before 1 ms has passed
//   max lateness us: N
//   wakes later than 5 ms: N
// Then it kills the spinners and returns 0.
#include <stdlib.h>

#include "proc_util.h"

#define HELLO_TAG 1100

EXPORT("spin_after_hello") void spin_after_hello(int64_t parent) {
  send_i64s((uint64_t)parent, HELLO_TAG, 0, 0);
  volatile uint64_t n = 0;
  for (;;) n = n + 1;
}

int main(int argc, char** argv) {
  int spinners = argc > 1 ? atoi(argv[1]) : 100;
  if (spinners < 0 || spinners > 1000) return 2;
  static uint64_t pids[1000];
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  for (int i = 0; i < spinners; ++i) {
    pids[i] = spawn_or_report(0, "spin_after_hello", &p);
    if (pids[i] == 0) return 1;
  }
  int running = 0;
  while (running < spinners && receive_tag(HELLO_TAG, 30000) == LUNATIC_MESSAGE_DATA) ++running;
  say("spinners running: %d", running);

  uint64_t max_late = 0;
  int early = 0, late = 0;
  for (int i = 0; i < 200; ++i) {
    uint64_t deadline = now_ns() + 1000000;
    lunatic_sleep_ms(1);
    uint64_t woke = now_ns();
    if (woke < deadline) {
      ++early;
      continue;
    }
    uint64_t lateness = woke - deadline;
    if (lateness > max_late) max_late = lateness;
    if (lateness > 5000000) ++late;
  }
  say("early wakes: %d", early);
  say("max lateness us: %llu", (unsigned long long)(max_late / 1000));
  say("wakes later than 5 ms: %d", late);
  for (int i = 0; i < spinners; ++i) lunatic_kill(pids[i]);
  return 0;
}
