// dashboard.wasm: a system that changes while the dashboard watches it (the browser test,
// tests/cli/dashboard_browser_test.py, and the dashboard's API tests).
//
//   Main registers itself as "main", spawns "keeper" (registered under that name, linked to
//   nothing, monitored by main, waiting for messages forever) and prints "keeper <pid>". Then,
//   forever, every 200 ms it spawns a short-lived child (it sleeps 1.5 s, then returns), links
//   every other one to itself, and kills the oldest child still alive once four are: processes
//   keep appearing and disappearing. When keeper dies, it prints "keeper died". A process
//   registered as "cruncher" computes for about 30 ms in every 100 ms, for CPU time to show.
//
//   `dashboard.wasm crowd N`: main first spawns N idle processes (waiting for messages
//   forever), more than the page has rows in view, and prints "crowd <last pid>".
#include <stdlib.h>

#include "proc_util.h"

#define CHILDREN 4

static void put(const char* name, uint64_t pid) {
  lunatic_registry_put(LUNATIC_PTR(name), (uint32_t)strlen(name), 0, pid);
}

EXPORT("keeper") void keeper(void) {
  put("keeper", lunatic_process_id());
  for (;;) (void)receive_tag(0x7FFF, LUNATIC_NO_TIMEOUT);
}

EXPORT("short_lived") void short_lived(void) { lunatic_sleep_ms(1500); }

EXPORT("cruncher") void cruncher(void) {
  put("cruncher", lunatic_process_id());
  for (;;) {
    volatile uint64_t sum = 0;
    for (uint32_t i = 0; i < 20u * 1000 * 1000; ++i) sum += i;
    (void)sum;
    lunatic_sleep_ms(70);
  }
}

EXPORT("idle") void idle(void) {
  for (;;) (void)receive_tag(0x7FFF, LUNATIC_NO_TIMEOUT);
}

int main(int argc, char** argv) {
  put("main", lunatic_process_id());
  if (argc == 3 && strcmp(argv[1], "crowd") == 0) {
    uint64_t last = 0;
    for (long i = strtol(argv[2], NULL, 10); i > 0; --i) {
      if ((last = spawn_or_report(0, "idle", 0)) == 0) return 1;
    }
    say("crowd %llu", (unsigned long long)last);
  }
  lunatic_die_when_link_dies(0);  // a killed linked child is a message here, not main's death
  const uint64_t keeper_pid = spawn_or_report(0, "keeper", 0);
  if (keeper_pid == 0 || spawn_or_report(0, "cruncher", 0) == 0) return 1;
  lunatic_monitor(keeper_pid);
  say("keeper %llu", (unsigned long long)keeper_pid);
  uint64_t children[CHILDREN] = {0};
  for (unsigned round = 0;; ++round) {
    const uint64_t child = spawn_or_report(round % 2 == 0 ? 1 : 0, "short_lived", 0);
    if (children[round % CHILDREN] != 0) lunatic_kill(children[round % CHILDREN]);
    children[round % CHILDREN] = child;
    // Drains what arrived (deaths of linked children), then waits the 200 ms.
    for (uint32_t r; (r = receive_any(0)) != LUNATIC_TIMEOUT;) {
      if (r == LUNATIC_MESSAGE_PROCESS_DIED && lunatic_message_get_process_id() == keeper_pid) {
        say("keeper died");
      }
    }
    lunatic_sleep_ms(200);
  }
}
