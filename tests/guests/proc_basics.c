// proc_basics.wasm <mode>: process identity, existence, sleeping, kill of unknown ids, the
// version, and how the main process's end decides the run's exit code.
//
//   ids           process_id stable and unique, environment_id shared; children report theirs
//   exists        exists() of itself, a living child, an unknown id, and the child after death
//   sleep         sleep_ms suspends only the caller; 20 concurrent 300 ms sleeps overlap
//   kill_unknown  kill() of ids that never existed changes nothing
//   version       lunatic::version
//   main_exit     main returns 7 while a child waits forever and another computes forever
//   main_proc_exit  the same through proc_exit(5)
//   child_failure a child traps (not linked); main goes on and returns 0
#include <stdlib.h>

#include "proc_util.h"

#define ID_TAG 100
#define STAMP_TAG 200
#define SLEPT_TAG 201

// Sends the parent [process_id, environment_id] with tag ID_TAG + index.
EXPORT("report_id") void report_id(int64_t parent, int32_t index) {
  int64_t v[2] = {(int64_t)lunatic_process_id(), (int64_t)lunatic_environment_id()};
  send_i64s((uint64_t)parent, ID_TAG + index, v, 2);
}

// Sends the parent the monotonic time at which it ran.
EXPORT("send_stamp") void send_stamp(int64_t parent) {
  int64_t v[1] = {(int64_t)now_ns()};
  send_i64s((uint64_t)parent, STAMP_TAG, v, 1);
}

// Sleeps 300 ms, then tells the parent.
EXPORT("sleeper") void sleeper(int64_t parent) {
  lunatic_sleep_ms(300);
  send_i64s((uint64_t)parent, SLEPT_TAG, 0, 0);
}

static int ids(void) {
  uint64_t me = lunatic_process_id();
  say("main pid: %llu", (unsigned long long)me);
  say("main pid stable: %s", lunatic_process_id() == me ? "yes" : "no");
  uint64_t env = lunatic_environment_id();
  say("environment stable: %s", lunatic_environment_id() == env ? "yes" : "no");
  enum { N = 5 };
  uint64_t spawned[N];
  for (int i = 0; i < N; ++i) {
    params_t p = {0};
    param_i64(&p, (int64_t)me);
    param_i32(&p, i);
    spawned[i] = spawn_or_report(0, "report_id", &p);
    if (spawned[i] == 0) return 1;
  }
  int distinct = 1, not_main = 1, same_env = 1;
  for (int i = 0; i < N; ++i) {
    for (int j = 0; j < i; ++j) distinct &= spawned[i] != spawned[j];
    not_main &= spawned[i] != me;
    int64_t v[2] = {0, 0};
    uint32_t r = receive_tag(ID_TAG + i, 10000);
    if (r != LUNATIC_MESSAGE_DATA || read_i64s(v, 2) != 2) {
      say("child %d: no report (%s)", i, describe_received(r));
      continue;
    }
    say("child %d reports the id spawn gave: %s", i, (uint64_t)v[0] == spawned[i] ? "yes" : "no");
    same_env &= (uint64_t)v[1] == env;
  }
  say("child ids distinct: %s", distinct ? "yes" : "no");
  say("child ids differ from main: %s", not_main ? "yes" : "no");
  say("children share the environment: %s", same_env ? "yes" : "no");
  return 0;
}

static int exists(void) {
  say("exists(self): %d", lunatic_exists(lunatic_process_id()));
  uint64_t child = spawn_or_report(0, "child_normal", 0);
  if (child == 0) return 1;
  lunatic_monitor(child);
  say("exists(waiting child): %d", lunatic_exists(child));
  say("exists(unknown id): %d", lunatic_exists(987654321));
  send_go(child);
  say("child ended: %s", await_death(child, 10000) ? "yes" : "no");
  say("exists(ended child): %d", lunatic_exists(child));
  return 0;
}

static int sleep_mode(void) {
  uint64_t me = lunatic_process_id();
  params_t p = {0};
  param_i64(&p, (int64_t)me);
  uint64_t t0 = now_ns();
  if (spawn_or_report(0, "send_stamp", &p) == 0) return 1;
  lunatic_sleep_ms(300);
  uint64_t t1 = now_ns();
  int64_t stamp = 0;
  uint32_t r = receive_tag(STAMP_TAG, 10000);
  if (r != LUNATIC_MESSAGE_DATA || read_i64s(&stamp, 1) != 1) {
    say("no stamp from the child (%s)", describe_received(r));
    return 1;
  }
  say("main slept at least 300 ms: %s", t1 - t0 >= 300000000ull ? "yes" : "no");
  say("the child ran while main slept: %s", (uint64_t)stamp + 100000000ull < t1 ? "yes" : "no");
  say("child ran at +%llu ms, main woke at +%llu ms",
      (unsigned long long)(((uint64_t)stamp - t0) / 1000000),
      (unsigned long long)((t1 - t0) / 1000000));

  enum { N = 20 };
  uint64_t t2 = now_ns();
  for (int i = 0; i < N; ++i) {
    if (spawn_or_report(0, "sleeper", &p) == 0) return 1;
  }
  int done = 0;
  while (done < N && receive_tag(SLEPT_TAG, 10000) == LUNATIC_MESSAGE_DATA) ++done;
  uint64_t ms = (now_ns() - t2) / 1000000;
  say("sleepers done: %d of %d", done, N);
  say("20 sleeps of 300 ms overlapped: %s", ms >= 300 && ms < 2000 ? "yes" : "no");
  say("20 sleeps took %llu ms", (unsigned long long)ms);
  return 0;
}

static int kill_unknown(void) {
  lunatic_kill(987654321);
  lunatic_kill(0);
  lunatic_kill(UINT64_MAX);
  say("alive after killing unknown ids: yes");
  return 0;
}

static int version(void) {
  say("version: %u.%u.%u", lunatic_version_major(), lunatic_version_minor(),
      lunatic_version_patch());
  return 0;
}

static int main_exit(int via_proc_exit) {
  if (spawn_or_report(0, "child_wait_forever", 0) == 0) return 1;
  if (spawn_or_report(0, "child_spin", 0) == 0) return 1;
  lunatic_sleep_ms(50);  // let both start
  say("main ends while two children still run");
  if (via_proc_exit) exit(5);
  return 7;
}

static int child_failure(void) {
  uint64_t child = spawn_or_report(0, "child_trap", 0);
  if (child == 0) return 1;
  say("child pid: %llu", (unsigned long long)child);
  lunatic_monitor(child);
  send_go(child);
  say("child ended: %s", await_death(child, 10000) ? "yes" : "no");
  say("main returns 0");
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    say("usage: proc_basics <mode>");
    return 2;
  }
  const char* m = argv[1];
  if (!strcmp(m, "ids")) return ids();
  if (!strcmp(m, "exists")) return exists();
  if (!strcmp(m, "sleep")) return sleep_mode();
  if (!strcmp(m, "kill_unknown")) return kill_unknown();
  if (!strcmp(m, "version")) return version();
  if (!strcmp(m, "main_exit")) return main_exit(0);
  if (!strcmp(m, "main_proc_exit")) return main_exit(1);
  if (!strcmp(m, "child_failure")) return child_failure();
  say("unknown mode %s", m);
  return 2;
}
