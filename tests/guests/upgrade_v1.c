// upgrade_v1.wasm <upgrade_v2.wasm> <upgrade_v2_bad.wasm> <upgrade_plain.wasm>: hot code
// upgrade (lunatic::upgrade) seen from inside. Version 1 of the counter (upgrade_counter.h) runs
// in processes of this module; main moves them to version 2 in the ways the ABI offers and
// prints what each step returned and what the counters answer afterwards.
#include "upgrade_counter_v1.h"

static uint8_t bytes[262144];

// Never at a receive: it sleeps and reaches a message boundary only through checkpoint.
EXPORT("sleeper") void sleeper(void) {
  state.role = ROLE_SLEEPER;
  for (;;) {
    lunatic_sleep_ms(5);
    if (lunatic_upgrade_checkpoint() == 1) say("sleeper: an upgrade failed");
    if (receive_tag(GET_TAG, 0) == LUNATIC_MESSAGE_DATA) reply_line();
  }
}

// Never at a message boundary at all.
EXPORT("stuck") void stuck(void) {
  for (;;) lunatic_sleep_ms(1000000);
}

static uint64_t compile_file(const char* path) {
  uint32_t len = read_file(path, bytes, sizeof bytes);
  uint64_t id = 0;
  if (len == 0 || lunatic_compile_module(LUNATIC_PTR(bytes), len, LUNATIC_PTR(&id)) != 0) {
    say("cannot compile %s", path);
    __builtin_trap();
  }
  return id;
}

static uint64_t spawn_counter(const char* fn, int64_t role, const char* name) {
  params_t p = {0};
  if (role >= 0) param_i64(&p, role);
  uint64_t pid = spawn_or_report(0, fn, role >= 0 ? &p : 0);
  name_pid(pid, name);
  return pid;
}

static void say_module_result(const char* what, uint32_t r, const uint64_t* result) {
  say("%s: %u upgraded=%llu failed=%llu timed_out=%llu restarted=%llu%s%s", what, r,
      (unsigned long long)result[0], (unsigned long long)result[1], (unsigned long long)result[2],
      (unsigned long long)result[3], result[5] != UINT64_MAX ? " reason: " : "",
      result[5] != UINT64_MAX ? error_text(result[5]) : "");
}

int main(int argc, char** argv) {
  if (argc != 4) {
    say("usage: upgrade_v1 <upgrade_v2.wasm> <upgrade_v2_bad.wasm> <upgrade_plain.wasm>");
    return 2;
  }
  uint64_t v2 = compile_file(argv[1]);
  uint64_t v2_bad = compile_file(argv[2]);
  uint64_t plain = compile_file(argv[3]);

  uint64_t c1 = spawn_counter("counter", ROLE_COUNTER, "c1");
  uint64_t c2 = spawn_counter("counter", ROLE_COUNTER, "c2");
  uint64_t c3 = spawn_counter("counter", ROLE_COUNTER, "c3");
  uint64_t sleeper_pid = spawn_counter("sleeper", -1, "sleeper");
  uint64_t stuck_pid = spawn_counter("stuck", -1, "stuck");
  uint64_t refuser = spawn_counter("counter", ROLE_OTHER, "refuser");
  static const char name[] = "counter-one";
  lunatic_registry_put(LUNATIC_PTR(name), sizeof name - 1, 0, c1);
  lunatic_monitor(c1);
  lunatic_monitor(stuck_pid);
  lunatic_monitor(refuser);
  uint64_t counters[3] = {c1, c2, c3};
  for (int i = 0; i < 3; ++i) {
    counter_add_to(counters[i], 1, 2);
    counter_add_to(counters[i], 2, 3);
  }
  counter_get("c1 before", c1);

  uint64_t error = 0;
  uint32_t r = lunatic_upgrade_process(c1, v2_bad, 0, 5000, LUNATIC_PTR(&error));
  say("upgrade c1 to the version whose load traps: %u %s", r, r == 2 ? error_text(error) : "");
  counter_get("c1 after the failed upgrade", c1);

  r = lunatic_upgrade_process(stuck_pid, v2, 0, 200, LUNATIC_PTR(&error));
  say("upgrade the stuck process: %u", r);
  lunatic_kill(stuck_pid);
  report_next("stuck killed", 5000);

  r = lunatic_upgrade_process(sleeper_pid, v2, 0, 5000, LUNATIC_PTR(&error));
  say("upgrade the sleeper: %u %s", r, r == 2 ? error_text(error) : "");
  counter_get("sleeper after", sleeper_pid);

  // Version 2 while a process of another module floods c1 with numbered adds.
  params_t p = {0};
  param_i64(&p, (int64_t)c1);
  param_i64(&p, 20000);
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t flooder = 0;
  if (spawn_fn(0, -1, (int64_t)plain, "flood", &p, &flooder) != 0) say("cannot spawn the flooder");
  if (receive_tag(FLOOD_HALF_TAG, 10000) != LUNATIC_MESSAGE_DATA) say("flooder: no half");
  uint64_t result[6] = {0};
  r = lunatic_upgrade_module(UINT64_MAX, v2, 0, 10000, LUNATIC_PTR(result));
  say_module_result("upgrade this module's processes to v2", r, result);
  say("flooder: %s", receive_tag(FLOOD_DONE_TAG, 10000) == LUNATIC_MESSAGE_DATA ? "done" : "no");
  counter_get("c1 after", c1);
  counter_get("c2 after", c2);
  uint64_t node = 0, named = 0;
  lunatic_registry_get(LUNATIC_PTR(name), sizeof name - 1, LUNATIC_PTR(&node), LUNATIC_PTR(&named));
  counter_get("the name counter-one after", named);

  // A third version (the same bytes compiled again are another module) while the refuser still
  // runs v1 (main does too, but the runtime's first process holds no version loaded).
  uint64_t v3 = compile_file(argv[1]);
  r = lunatic_upgrade_module(v2, v3, 0, 1000, LUNATIC_PTR(result));
  say_module_result("a third version", r, result);
  lunatic_kill(refuser);
  report_next("refuser killed", 5000);
  r = lunatic_upgrade_module(v2, v3, 0, 5000, LUNATIC_PTR(result));
  say_module_result("a third version once v1 is gone", r, result);
  counter_get("c1 on the third version", c1);

  // A process of the now old version 2 (its counter loop, started bare) stands in the way of a
  // fourth version, unless the upgrade purges it.
  uint64_t old_one = 0;
  if (spawn_fn(0, -1, (int64_t)v2, "lunatic_upgrade_resume", 0, &old_one) != 0) say("no old one");
  name_pid(old_one, "old one");
  lunatic_monitor(old_one);
  uint64_t v4 = compile_file(argv[1]);
  r = lunatic_upgrade_module(v3, v4, 0, 5000, LUNATIC_PTR(result));
  say_module_result("a fourth version", r, result);
  r = lunatic_upgrade_module(v3, v4, LUNATIC_UPGRADE_PURGE, 5000, LUNATIC_PTR(result));
  say_module_result("a fourth version, purging", r, result);
  say("purged: %llu", (unsigned long long)result[4]);
  report_next("after the purge", 5000);

  // Processes whose code cannot hand its state over: failed, then restarted (killed).
  uint64_t waiters[2];
  for (int i = 0; i < 2; ++i) {
    if (spawn_fn(0, -1, (int64_t)plain, "waiter", 0, &waiters[i]) != 0) say("no waiter");
    name_pid(waiters[i], i == 0 ? "waiter1" : "waiter2");
    lunatic_monitor(waiters[i]);
  }
  r = lunatic_upgrade_module(plain, v2_bad, 0, 1000, LUNATIC_PTR(result));
  say_module_result("upgrade code without lunatic_upgrade_save", r, result);
  r = lunatic_upgrade_module(plain, v2_bad, LUNATIC_UPGRADE_RESTART, 1000, LUNATIC_PTR(result));
  say_module_result("the same with restart", r, result);
  report_next("after restart", 5000);
  report_next("after restart", 5000);

  // Still the process main monitors.
  lunatic_kill(c1);
  report_next("c1 killed", 5000);
  say("main done");
  return 0;
}
