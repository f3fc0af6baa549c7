/* The guest of the --trace tests (tests/cli/cli_trace_test.cpp): main spawns two echo children
 * and exchanges messages with them, spawns one child that traps and one that waits until main
 * kills it, and monitors all four so their deaths come before main's end.
 *
 *   trace_events.wasm            as above; prints "pid <name>: <id>" for each child
 *   trace_events.wasm flood N    main sends itself N messages and reads them (many events)
 *   trace_events.wasm hang       spawns a child that waits forever, says "waiting: 1" and sleeps
 *                                until the runtime is stopped by a signal (sleeping, not waiting
 *                                for a message: the runtime would end a run where nothing can
 *                                happen as a deadlock, racing the signal) */
#include <stdlib.h>

#include "proc_util.h"

#define ECHO_TAG 7
#define ROUNDS 3

/* Echoes ROUNDS messages back to their sender (the main process, given as the parameter). */
EXPORT("echo") void echo(int64_t parent) {
  for (int i = 0; i < ROUNDS; ++i) {
    int64_t value = 0;
    if (receive_tag(ECHO_TAG, LUNATIC_NO_TIMEOUT) != LUNATIC_MESSAGE_DATA) return;
    read_i64s(&value, 1);
    value += 1;
    send_i64s((uint64_t)parent, ECHO_TAG, &value, 1);
  }
}

static uint64_t spawn_monitored(const char* fn, const params_t* p, const char* name) {
  uint64_t pid = spawn_or_report(0, fn, p);
  lunatic_monitor(pid);
  name_pid(pid, name);
  say("pid %s: %llu", name, (unsigned long long)pid);
  return pid;
}

static int flood(int64_t n) {
  uint64_t self = lunatic_process_id();
  for (int64_t i = 0; i < n; ++i) {
    send_i64s(self, 1, &i, 1);
    int64_t value = -1;
    if (receive_tag(1, LUNATIC_NO_TIMEOUT) != LUNATIC_MESSAGE_DATA) return 1;
    read_i64s(&value, 1);
    if (value != i) return 1;
  }
  say("flooded: %lld", (long long)n);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "flood") == 0) return flood(atoll(argv[2]));
  if (argc == 2 && strcmp(argv[1], "hang") == 0) {
    spawn_or_report(0, "child_wait_forever", NULL);
    say("waiting: 1");
    for (;;) lunatic_sleep_ms(60 * 1000);
  }
  const char* name = "tracee";
  lunatic_registry_put(LUNATIC_PTR(name), (uint32_t)strlen(name), 0, lunatic_process_id());

  params_t parent = {0};
  param_i64(&parent, (int64_t)lunatic_process_id());
  uint64_t echoes[2] = {spawn_monitored("echo", &parent, "echo1"),
                        spawn_monitored("echo", &parent, "echo2")};
  for (int round = 0; round < ROUNDS; ++round) {
    for (int e = 0; e < 2; ++e) {
      int64_t value = round * 10 + e;
      send_i64s(echoes[e], ECHO_TAG, &value, 1);
      int64_t reply = -1;
      if (receive_tag(ECHO_TAG, 5000) != LUNATIC_MESSAGE_DATA) return 2;
      read_i64s(&reply, 1);
      if (reply != value + 1) return 3;
    }
  }
  for (int e = 0; e < 2; ++e) {
    if (!await_death(echoes[e], 5000)) return 4;
  }

  uint64_t trapper = spawn_monitored("child_trap", NULL, "trapper");
  send_go(trapper);
  if (!await_death(trapper, 5000)) return 5;

  uint64_t victim = spawn_monitored("child_wait_forever", NULL, "victim");
  lunatic_kill(victim);
  if (!await_death(victim, 5000)) return 6;
  say("done");
  return 0;
}
