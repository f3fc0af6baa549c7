// proc_links.wasm <mode>: links, die_when_link_dies, unlink and kill.
//
//   trap_kills_linked_parent  A spawns B linked; B traps; A dies with it
//   failure_kills_linked_child  A spawns B linked, then traps; B dies with it
//   main_dies_with_link       main's linked child traps: main dies, so does the run
//   trap_exit                 die_when_link_dies(0): the failure arrives as a link-died message
//   normal_exit               a linked child that returns or calls proc_exit(0) takes nobody down
//   proc_exit_nonzero         a linked child's proc_exit(3) is a failure
//   link_unknown              link() to an id that does not exist kills the caller
//   link_unknown_trap_exit    ... or, with die_when_link_dies(0), sends it a link-died message
//   link_call                 link() made after spawn works both ways
//   unlink                    after unlink() a linked child's trap stays its own
//   kill                      kill() of linked, waiting and sleeping children
//   kill_linked_default       kill() of a linked child takes the killer down too
//   kill_uncatchable          a killed process runs no further code, lunatic::trap::catch or not
#include "proc_util.h"

#define PID_TAG 400
#define STARTED_TAG 401
#define QUIET_TAG 0x7FFF

// Waits up to `ms` for a message nobody sends, then says the process survived.
static void wait_and_report_survival(const char* who, uint64_t ms) {
  (void)receive_tag(QUIET_TAG, ms);
  say("%s survived", who);
}

// A, after go: spawns B linked (tag 5), and B traps at once. A should die with it.
EXPORT("a_with_trapping_link") void a_with_trapping_link(void) {
  await_go();
  uint64_t b = 0;
  spawn_fn(5, -1, -1, "child_trap_now", 0, &b);
  wait_and_report_survival("A", 5000);
}

// A, after go: spawns B linked (tag 6), which waits forever; tells the parent B's pid, then
// traps.
EXPORT("a_fails_with_link") void a_fails_with_link(int64_t parent) {
  await_go();
  uint64_t b = 0;
  spawn_fn(6, -1, -1, "child_wait_forever", 0, &b);
  int64_t v[1] = {(int64_t)b};
  send_i64s((uint64_t)parent, PID_TAG, v, 1);
  __builtin_trap();
}

// After go: links itself to `other` (tag 12), then traps.
EXPORT("link_then_trap") void link_then_trap(int64_t other) {
  await_go();
  lunatic_link(12, (uint64_t)other);
  __builtin_trap();
}

// Sleeps for a long time.
EXPORT("child_sleep_long") void child_sleep_long(void) { lunatic_sleep_ms(1000000); }

// Spins about a millisecond between ticks, forever; after the first tick tells `parent` (a
// process id small enough for the i32 that lunatic::trap::catch passes) it is ticking.
static int32_t tick_forever(int32_t parent) {
  for (int32_t tick = 0;; ++tick) {
    volatile uint32_t n = 0;
    for (uint32_t i = 0; i < 300000; ++i) n = n + i;
    say("tick %d", tick);
    if (tick == 0) send_i64s((uint64_t)parent, STARTED_TAG, 0, 0);
  }
  return 1;
}

EXPORT("_lunatic_catch_trap") int32_t lunatic_catch_trap(int32_t function, int32_t pointer) {
  return ((int32_t(*)(int32_t))(uintptr_t)function)(pointer);
}

// After go: ticks inside lunatic::trap::catch. If catch ever returns, says so and starts again.
EXPORT("ticker") void ticker(int64_t parent) {
  await_go();
  for (;;) {
    int32_t r = lunatic_trap_catch((int32_t)(uintptr_t)tick_forever, (int32_t)parent);
    say("ticker caught something: %d", r);
  }
}

static uint64_t spawn_named(int64_t link, const char* fn, const params_t* p, const char* name) {
  uint64_t pid = spawn_or_report(link, fn, p);
  if (pid) name_pid(pid, name);
  return pid;
}

static int trap_kills_linked_parent(void) {
  uint64_t a = spawn_named(0, "a_with_trapping_link", 0, "A");
  lunatic_monitor(a);
  send_go(a);
  report_next("A", 10000);
  return 0;
}

static int failure_kills_linked_child(void) {
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t a = spawn_named(0, "a_fails_with_link", &p, "A");
  lunatic_monitor(a);
  send_go(a);
  int64_t b = 0;
  uint32_t r = receive_tag(PID_TAG, 10000);
  if (r != LUNATIC_MESSAGE_DATA || read_i64s(&b, 1) != 1) {
    say("no pid of B: %s", describe_received(r));
    return 1;
  }
  report_next("A", 10000);
  // B waits forever: only the link can end it.
  uint64_t start = now_ns();
  while (lunatic_exists((uint64_t)b) && now_ns() - start < 10000000000ull) lunatic_sleep_ms(5);
  say("B exists after A failed: %d", lunatic_exists((uint64_t)b));
  return 0;
}

static int main_dies_with_link(void) {
  uint64_t child = 0;
  uint32_t s = spawn_fn(7, -1, -1, "child_trap_now", 0, &child);
  say("spawned a linked child that traps: %u", s);
  wait_and_report_survival("main", 5000);
  return 0;
}

static int trap_exit(void) {
  lunatic_die_when_link_dies(0);
  uint64_t child = 0;
  spawn_fn(42, -1, -1, "child_trap", 0, &child);
  send_go(child);
  uint32_t r = receive_any(10000);
  say("received: %s", describe_received(r));
  if (r == LUNATIC_MESSAGE_LINK_DIED) {
    say("link-died get_process_id: %llu", (unsigned long long)lunatic_message_get_process_id());
  }
  report_next("then", 300);
  say("main continues");
  return 0;
}

static int normal_exit(void) {
  uint64_t child = 0;
  spawn_fn(8, -1, -1, "child_normal", 0, &child);
  name_pid(child, "returning child");
  lunatic_monitor(child);
  send_go(child);
  report_next("first", 10000);
  report_next("then", 300);

  params_t p = {0};
  param_i32(&p, 0);
  spawn_fn(9, -1, -1, "child_proc_exit", &p, &child);
  name_pid(child, "proc_exit(0) child");
  lunatic_monitor(child);
  send_go(child);
  report_next("first", 10000);
  report_next("then", 300);
  say("main continues");
  return 0;
}

static int proc_exit_nonzero(void) {
  lunatic_die_when_link_dies(0);
  params_t p = {0};
  param_i32(&p, 3);
  uint64_t child = 0;
  spawn_fn(10, -1, -1, "child_proc_exit", &p, &child);
  say("child pid: %llu", (unsigned long long)child);
  send_go(child);
  report_next("received", 10000);
  return 0;
}

static int link_unknown(int trap_exit) {
  if (trap_exit) lunatic_die_when_link_dies(0);
  lunatic_link(4, 987654321);
  say("linked to an unknown id");
  if (trap_exit) {
    report_next("received", 10000);
    say("main continues");
  } else {
    wait_and_report_survival("main", 5000);
  }
  return 0;
}

static int link_call(void) {
  lunatic_die_when_link_dies(0);
  uint64_t child = spawn_named(0, "child_trap", 0, "child");
  lunatic_link(11, child);
  send_go(child);
  report_next("received", 10000);

  // Two-way: A links itself to B and traps; B goes down with it.
  uint64_t b = spawn_named(0, "child_wait_forever", 0, "B");
  params_t p = {0};
  param_i64(&p, (int64_t)b);
  uint64_t a = spawn_named(0, "link_then_trap", &p, "A");
  lunatic_monitor(a);
  lunatic_monitor(b);
  send_go(a);
  int died_a = 0, died_b = 0;
  for (int i = 0; i < 2; ++i) {
    uint32_t r = receive_any(10000);
    if (r == LUNATIC_MESSAGE_PROCESS_DIED && lunatic_message_get_process_id() == a) {
      ++died_a;
    } else if (r == LUNATIC_MESSAGE_PROCESS_DIED && lunatic_message_get_process_id() == b) {
      ++died_b;
    } else {
      say("unexpected: %s", describe_received(r));
    }
  }
  say("A died: %d, B died: %d", died_a, died_b);
  return 0;
}

static int unlink_mode(void) {
  uint64_t child = 0;
  spawn_fn(13, -1, -1, "child_trap", 0, &child);
  name_pid(child, "child");
  lunatic_monitor(child);
  lunatic_unlink(child);
  send_go(child);
  report_next("first", 10000);
  report_next("then", 300);
  say("main survived");
  return 0;
}

static int kill_mode(void) {
  lunatic_die_when_link_dies(0);
  uint64_t spinner = 0;
  spawn_fn(14, -1, -1, "child_spin", 0, &spinner);
  lunatic_sleep_ms(20);  // let it spin
  lunatic_kill(spinner);
  report_next("killed linked spinner", 10000);
  say("spinner exists: %d", lunatic_exists(spinner));

  uint64_t waiter = spawn_named(0, "child_wait_forever", 0, "waiter");
  lunatic_monitor(waiter);
  lunatic_sleep_ms(20);  // let it block in receive
  lunatic_kill(waiter);
  report_next("killed waiter", 10000);

  uint64_t sleeper = spawn_named(0, "child_sleep_long", 0, "sleeper");
  lunatic_monitor(sleeper);
  lunatic_sleep_ms(20);  // let it fall asleep
  uint64_t t = now_ns();
  lunatic_kill(sleeper);
  report_next("killed sleeper", 10000);
  say("sleeper died within 2 s: %s", now_ns() - t < 2000000000ull ? "yes" : "no");
  say("main continues");
  return 0;
}

static int kill_linked_default(void) {
  uint64_t child = 0;
  spawn_fn(15, -1, -1, "child_wait_forever", 0, &child);
  lunatic_sleep_ms(20);
  lunatic_kill(child);
  say("killed the linked child");
  wait_and_report_survival("main", 5000);
  return 0;
}

static int kill_uncatchable(void) {
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t t = spawn_named(0, "ticker", &p, "ticker");
  lunatic_monitor(t);
  send_go(t);
  uint32_t r = receive_tag(STARTED_TAG, 10000);
  if (r != LUNATIC_MESSAGE_DATA) {
    say("ticker did not start: %s", describe_received(r));
    return 1;
  }
  lunatic_sleep_ms(30);
  lunatic_kill(t);
  say("killed");
  say("confirmed dead: %s", await_death(t, 10000) ? "yes" : "no");
  lunatic_sleep_ms(200);
  say("end");
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    say("usage: proc_links <mode>");
    return 2;
  }
  const char* m = argv[1];
  if (!strcmp(m, "trap_kills_linked_parent")) return trap_kills_linked_parent();
  if (!strcmp(m, "failure_kills_linked_child")) return failure_kills_linked_child();
  if (!strcmp(m, "main_dies_with_link")) return main_dies_with_link();
  if (!strcmp(m, "trap_exit")) return trap_exit();
  if (!strcmp(m, "normal_exit")) return normal_exit();
  if (!strcmp(m, "proc_exit_nonzero")) return proc_exit_nonzero();
  if (!strcmp(m, "link_unknown")) return link_unknown(0);
  if (!strcmp(m, "link_unknown_trap_exit")) return link_unknown(1);
  if (!strcmp(m, "link_call")) return link_call();
  if (!strcmp(m, "unlink")) return unlink_mode();
  if (!strcmp(m, "kill")) return kill_mode();
  if (!strcmp(m, "kill_linked_default")) return kill_linked_default();
  if (!strcmp(m, "kill_uncatchable")) return kill_uncatchable();
  say("unknown mode %s", m);
  return 2;
}
