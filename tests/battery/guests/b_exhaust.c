/* b_exhaust.wasm <mode>: attackers that try to take all of something (processes, memory,
 * tables, resources, stack, compiler time, the registry, config strings, message buffers).
 *
 *   fork_bomb        bombers spawn until refused (run with --max-processes); a supervisor
 *                    restarts its worker, main spawns, main hears a linked child's death
 *   fork_bomb_supervisors  the same with bombers that declare themselves supervisors (and so
 *                    may take the supervisors' half of the reserve, not main's)
 *   subtree          a config's max_processes 5, max_total_memory 8 MiB and max_compiles 2
 *                    bound the child's subtree, also under a looser nested config
 *   fuel             a spinner with max_fuel 100 traps "out of fuel"
 *   memory_bomb      8 hogs grow memory until refused, touching every page (--max-memory)
 *   grow_loop        memory.grow one page at a time until refused; a config's max_memory; huge
 *                    deltas
 *   huge_table       tables at and past 2^24 entries, and growing past the limits
 *   resources        configs until the documented 2^20 cap traps; DNS iterators likewise; WASI
 *                    descriptors until EMFILE
 *   config_objects   4 processes each holding a million configs (run with --max-memory): the
 *                    host memory they hold
 *   recursion        20 processes recursing without end, half with 2 KiB frames on the shadow
 *                    stack in linear memory, half on the native stack only (traps only them)
 *   compile_huge     modules over 64 MiB, nested 5,000 deep, with 50,001 locals, with 2^32-1
 *                    functions declared, and a valid one killed while it compiles
 *   compile_memory   a valid 14 MiB module compiled under a --max-memory too low to translate it
 *   registry         names registered until the memory limit refuses (--max-memory), a name
 *                    over 128 KiB
 *   config_strings   environment variables and arguments of 128 KiB added to a config until the
 *                    memory limit refuses
 *   huge_message     message capacity 2^40 and 2^63, and writes past the memory limit
 *   many_processes   idle processes until the memory limit (stacks count) refuses */
#include "battery.h"

/* Spawns fn(parent) linked with `tag` (main traps link deaths); waits for its death and says
 * "<what>: died (link-died)" / "<what>: returned" / "<what>: still alive". */
static uint64_t spawn_watch(const char* fn, int64_t tag) {
  lunatic_die_when_link_dies(0);
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t id = 0;
  if (spawn_fn(tag, -1, -1, fn, &p, &id) != 0) {
    say("%s: spawn failed: %s", fn, error_text(id));
    return 0;
  }
  lunatic_monitor(id);
  return id;
}

/* After the monitored process died: 1 when it failed (a link-died with `tag` is queued). */
static int died_failing(int64_t tag) { return link_died(tag, 200); }

static void watch_outcome(const char* what, uint64_t pid, int64_t tag, uint64_t timeout_ms) {
  const uint64_t start = now_ns();
  if (await_death(pid, timeout_ms) < 0) {
    say("%s: still alive after %llu ms", what, (unsigned long long)timeout_ms);
    lunatic_kill(pid);
    return;
  }
  say("%s: %s after ms=%llu", what, died_failing(tag) ? "failed" : "returned",
      (unsigned long long)ms_since(start));
}

/* ---- fork bomb ---- */

static void bomb_as(int32_t depth, int supervisors);

EXPORT("bomb") void bomb(int32_t depth) { bomb_as(depth, 0); }

/* Bombers that declare themselves supervisors (die_when_link_dies(0)) to take the reserve. */
EXPORT("bomb_supervisor") void bomb_supervisor(int32_t depth) {
  lunatic_die_when_link_dies(0);
  bomb_as(depth, 1);
}

static void bomb_as(int32_t depth, int supervisors) {
  int said = 0;
  for (;;) {
    params_t p = {.len = 0};
    param_i32(&p, depth + 1);
    uint64_t child = 0;
    if (spawn_fn(0, -1, -1, supervisors ? "bomb_supervisor" : "bomb", &p, &child) != 0) {
      const char* why = error_text(child);
      if (depth == 0 && !said) {
        say("bomb refused: %s", why);
        said = 1;
      }
      lunatic_sleep_ms(5);
    }
  }
}

EXPORT("supervisor") void supervisor(int64_t parent) {
  lunatic_die_when_link_dies(0);
  uint64_t worker = spawn_or_say(1, "idle", 0);
  send_value((uint64_t)parent, TAG_HELLO, (int64_t)worker);
  for (;;) {
    uint32_t r = receive_any(LUNATIC_NO_TIMEOUT);
    if (r != LUNATIC_MESSAGE_LINK_DIED) continue;
    uint64_t id = 0;
    uint32_t s = spawn_fn(1, -1, -1, "idle", 0, &id);
    if (s != 0) say("supervisor restart failed: %s", error_text(id));
    send_value((uint64_t)parent, TAG_RESULT, s == 0 ? (int64_t)id : -1);
  }
}

static int fork_bomb(int supervisors) {
  uint64_t by = bystander_start();
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t sup = 0;
  if (spawn_fn(0, -1, -1, "supervisor", &p, &sup) != 0) return 1;
  int64_t worker = receive_value(TAG_HELLO, 5000, -1);
  params_t b = {.len = 0};
  param_i32(&b, 0);
  uint64_t first = 0;
  if (spawn_fn(0, -1, -1, supervisors ? "bomb_supervisor" : "bomb", &b, &first) != 0) return 1;
  attack_for(1500);
  bystander_stop(by);
  lunatic_kill((uint64_t)worker);
  int64_t restarted = receive_value(TAG_RESULT, 5000, -1);
  say("supervisor restarted its worker: %s", restarted > 0 ? "yes" : "no");
  uint64_t mine = 0;
  uint32_t r = spawn_fn(0, -1, -1, "idle", 0, &mine);
  say("main spawns after the bomb: %s", r == 0 ? "yes" : error_text(mine));
  lunatic_die_when_link_dies(0);
  uint64_t linked = 0;
  r = spawn_fn(42, -1, -1, "trap_now", 0, &linked);
  if (r == 0) {
    uint32_t got = receive_tag(42, 5000);
    say("main hears a linked child's trap: %s", got == LUNATIC_MESSAGE_LINK_DIED ? "yes" : "no");
  } else {
    say("main hears a linked child's trap: spawn refused: %s", error_text(linked));
  }
  return 0;
}

/* ---- a config's limits on its subtree ---- */

EXPORT("spawn_until_refused") void spawn_until_refused(int64_t parent) {
  int64_t made = 0;
  for (; made < 100000; ++made) {
    uint64_t id = 0;
    if (spawn_fn(0, -1, -1, "idle", 0, &id) != 0) {
      say("subtree spawn refused: %s", error_text(id));
      break;
    }
  }
  send_value((uint64_t)parent, TAG_RESULT, made);
}

EXPORT("grow_until_refused") void grow_until_refused(int64_t parent) {
  lunatic_message_create_data(TAG_RESULT, 8);           /* the report is made first */
  while ((long)__builtin_wasm_memory_grow(0, 1) >= 0) { /* -1 as size_t: cast */
  }
  int64_t mib = (int64_t)(__builtin_wasm_memory_size(0) * 65536 >> 20);
  lunatic_message_write_data(LUNATIC_PTR(&mib), 8);
  (void)lunatic_message_send((uint64_t)parent);
}

EXPORT("compile_until_refused") void compile_until_refused(int64_t parent) {
  int64_t made = 0;
  for (int i = 0; i < 10; ++i) {
    wbuf_t m = module_big(424242u + (uint32_t)i, 1, 1);
    uint64_t id = 0;
    int32_t r = compile_buf(&m, &id);
    wb_free(&m);
    if (r != 0) {
      say("subtree compile refused: %s", compile_outcome(r, id));
      break;
    }
    ++made;
  }
  send_value((uint64_t)parent, TAG_RESULT, made);
}

/* A head whose own config nests a looser one: the outer limits still hold. */
EXPORT("nested_head") void nested_head(int64_t parent) {
  uint64_t inner = (uint64_t)lunatic_create_config();
  lunatic_config_set_can_spawn_processes(inner, 1);
  lunatic_config_set_max_processes(inner, 1000);
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t id = 0;
  int64_t made = -1;
  if (spawn_fn(0, (int64_t)inner, -1, "spawn_until_refused", &p, &id) == 0) {
    made = receive_value(TAG_RESULT, 20000, -1);
  } else {
    say("nested spawn refused: %s", error_text(id));
  }
  send_value((uint64_t)parent, TAG_RESULT, made);
}

static int64_t run_head(const char* fn, uint64_t config) {
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t id = 0;
  if (spawn_fn(0, (int64_t)config, -1, fn, &p, &id) != 0) {
    say("%s: spawn failed: %s", fn, error_text(id));
    return -1;
  }
  return receive_value(TAG_RESULT, 60000, -1);
}

static int subtree(void) {
  uint64_t by = bystander_start();
  uint64_t config = (uint64_t)lunatic_create_config();
  lunatic_config_set_can_spawn_processes(config, 1);
  lunatic_config_set_can_create_configs(config, 1);
  lunatic_config_set_can_compile_modules(config, 1);
  lunatic_config_set_max_processes(config, 5);
  lunatic_config_set_max_total_memory(config, 8u << 20);
  lunatic_config_set_max_compiles(config, 2);
  say("subtree processes spawned by the head=%lld",
      (long long)run_head("spawn_until_refused", config));
  say("subtree nested looser config spawned=%lld", (long long)run_head("nested_head", config));
  say("subtree memory MiB=%lld", (long long)run_head("grow_until_refused", config));
  say("subtree compiles=%lld", (long long)run_head("compile_until_refused", config));
  uint64_t id = 0;
  uint32_t r = spawn_fn(0, -1, -1, "idle", 0, &id);
  say("main spawns beside the limited subtree: %s", r == 0 ? "yes" : error_text(id));
  bystander_stop(by);
  return 0;
}

/* ---- fuel ---- */

static int fuel(void) {
  uint64_t by = bystander_start();
  uint64_t config = (uint64_t)lunatic_create_config();
  lunatic_config_set_max_fuel(config, 100); /* 10 million preemption checks */
  lunatic_die_when_link_dies(0);
  uint64_t id = 0;
  const uint64_t start = now_ns();
  if (spawn_fn(70, (int64_t)config, -1, "spin", 0, &id) != 0) return 1;
  lunatic_monitor(id);
  int64_t us = await_death(id, 20000);
  say("fuel spinner: %s after ms=%llu",
      us < 0 ? "STILL RUNNING" : (link_died(70, 200) ? "failed" : "returned"),
      (unsigned long long)ms_since(start));
  if (us < 0) lunatic_kill(id);
  bystander_stop(by);
  return 0;
}

/* ---- memory bomb ---- */

EXPORT("hog") void hog(int64_t parent) {
  lunatic_message_create_data(TAG_RESULT, 8); /* the report is made first */
  for (;;) {
    long old = __builtin_wasm_memory_grow(0, 16);
    if (old < 0) break;
    for (long page = old; page < old + 16; ++page) {
      for (long off = 0; off < 65536; off += 4096)
        *(volatile uint8_t*)(uintptr_t)(page * 65536 + off) = 1;
    }
  }
  const int64_t pages = (int64_t)__builtin_wasm_memory_size(0);
  lunatic_message_write_data(LUNATIC_PTR(&pages), 8);
  (void)lunatic_message_send((uint64_t)parent);
  for (;;) (void)receive_tag(TAG_GO, LUNATIC_NO_TIMEOUT);
}

static int memory_bomb(void) {
  uint64_t by = bystander_start();
  lunatic_die_when_link_dies(0);
  int64_t pages = 0;
  int reported = 0, failed = 0;
  uint64_t hogs[8] = {0};
  for (int i = 0; i < 8; ++i) {
    params_t p = {.len = 0};
    param_i64(&p, (int64_t)lunatic_process_id());
    uint64_t id = 0;
    if (spawn_fn(900 + i, -1, -1, "hog", &p, &id) != 0) {
      say("hog %d not spawned: %s", i, error_text(id));
      continue;
    }
    hogs[i] = id;
    uint32_t r = receive_any(30000);
    if (r == LUNATIC_MESSAGE_DATA && lunatic_message_get_tag() == TAG_RESULT) {
      int64_t held = 0;
      lunatic_message_read_data(LUNATIC_PTR(&held), 8);
      pages += held;
      ++reported;
    } else {
      ++failed;
    }
  }
  say("hogs reported=%d failed=%d", reported, failed);
  say("hogs hold MiB=%lld", (long long)(pages * 65536 >> 20));
  long old = __builtin_wasm_memory_grow(0, 16);
  say("main grows 1 MiB after the bomb: %s", old < 0 ? "refused" : "yes");
  bystander_stop(by);
  for (int i = 0; i < 8; ++i) {
    if (hogs[i]) lunatic_kill(hogs[i]);
  }
  return 0;
}

/* ---- grow loop ---- */

EXPORT("grower") void grower(int64_t parent) {
  long pages_before = (long)__builtin_wasm_memory_size(0);
  long grown = 0;
  for (;;) {
    long old = __builtin_wasm_memory_grow(0, 1);
    if (old < 0) break;
    *(volatile uint8_t*)(uintptr_t)(old * 65536) = 1;
    ++grown;
  }
  (void)pages_before;
  long total = (long)__builtin_wasm_memory_size(0);
  long huge = __builtin_wasm_memory_grow(0, 65536);
  long all = __builtin_wasm_memory_grow(0, 0xFFFFFFFFu);
  say("grower: grown pages=%ld total MiB=%ld, then +65536 pages: %ld, +0xFFFFFFFF pages: %ld",
      grown, total * 65536 >> 20, huge, all);
  send_value((uint64_t)parent, TAG_RESULT, total);
}

static int grow_loop(void) {
  uint64_t by = bystander_start();
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t id = 0;
  if (spawn_fn(0, -1, -1, "grower", &p, &id) != 0) return 1;
  int64_t total = receive_value(TAG_RESULT, 30000, -1);
  say("grow refused at MiB=%lld", (long long)(total * 65536 >> 20));
  uint64_t config = (uint64_t)lunatic_create_config();
  lunatic_config_set_max_memory(config, 8u << 20);
  if (spawn_fn(0, (int64_t)config, -1, "grower", &p, &id) != 0) {
    say("config spawn failed: %s", error_text(id));
    return 1;
  }
  total = receive_value(TAG_RESULT, 30000, -1);
  say("config child grow refused at MiB=%lld", (long long)(total * 65536 >> 20));
  bystander_stop(by);
  return 0;
}

/* ---- huge tables (modules made here) ---- */

/* A module with a table of `initial` entries (max `max`, -1 none) whose "f" grows it by
 * `delta` and traps unless the result is -1 (expect_fail) or not -1 (!expect_fail). */
static wbuf_t table_grow_module(int64_t initial, int64_t max, uint32_t delta, int expect_fail) {
  wbuf_t body = {0};
  wb_byte(&body, 0x00);
  wb_byte(&body, 0xD0);
  wb_byte(&body, 0x70);
  wb_byte(&body, 0x41);
  wb_sleb(&body, (int32_t)delta);
  wb_byte(&body, 0xFC);
  wb_byte(&body, 0x0F);
  wb_byte(&body, 0x00);
  wb_byte(&body, 0x41);
  wb_sleb(&body, -1);
  wb_byte(&body, expect_fail ? 0x47 : 0x46); /* i32.ne / i32.eq */
  wb_byte(&body, 0x04);                      /* if */
  wb_byte(&body, 0x40);
  wb_byte(&body, 0x00); /* unreachable */
  wb_byte(&body, 0x0B);
  wb_byte(&body, 0x0B);
  wbuf_t m = module_one(&body, initial, max, -1);
  wb_free(&body);
  return m;
}

/* Compiles, spawns and waits for "f"; says what happened. */
static void table_case(const char* what, int64_t initial, int64_t max, uint32_t delta,
                       int expect_fail) {
  wbuf_t m = table_grow_module(initial, max, delta, expect_fail);
  uint64_t mod = 0;
  int32_t r = compile_buf(&m, &mod);
  wb_free(&m);
  if (r != 0) {
    say("table %s: compile %s", what, compile_outcome(r, mod));
    return;
  }
  lunatic_die_when_link_dies(0);
  uint64_t pid = 0;
  uint32_t s = spawn_fn(77, -1, (int64_t)mod, "f", 0, &pid);
  if (s != 0) {
    say("table %s: spawn refused: %s", what, error_text(pid));
    return;
  }
  lunatic_monitor(pid);
  if (await_death(pid, 20000) < 0) {
    say("table %s: still running", what);
    return;
  }
  say("table %s: %s", what,
      died_failing(77) ? "grow result UNEXPECTED (or instantiation failed)"
                       : "grow result as documented");
}

static int huge_table(void) {
  table_case("initial 2^24+1", (1 << 24) + 1, -1, 0, 1);
  table_case("initial 2^24 under the memory limit", 1 << 24, -1, 1, 1);
  table_case("grow by 2^24+1", 0, -1, (1u << 24) + 1, 1);
  table_case("grow by 2^24 past the memory limit", 0, -1, 1u << 24, 1);
  table_case("grow past its max", 0, 10, 11, 1);
  table_case("grow by 1000 (must work)", 0, -1, 1000, 0);
  table_case("grow by 0xFFFFFFFF", 0, -1, 0xFFFFFFFFu, 1);
  say("huge_table done");
  return 0;
}

/* ---- resources ---- */

EXPORT("configs_forever") void configs_forever(int64_t parent) {
  (void)parent;
  for (uint64_t i = 0;; ++i) {
    if (lunatic_create_config() < 0) {
      say("create_config returned -1 after %llu", (unsigned long long)i);
      return;
    }
  }
}

EXPORT("iterators_forever") void iterators_forever(int64_t parent) {
  (void)parent;
  static const uint8_t lo[4] = {127, 0, 0, 1};
  uint64_t listener = 0;
  if (lunatic_net_tcp_bind(4, LUNATIC_PTR(lo), 0, 0, 0, LUNATIC_PTR(&listener)) != 0) {
    say("iterators: cannot bind");
    return;
  }
  for (uint64_t i = 0;; ++i) {
    uint64_t it = 0;
    if (lunatic_net_tcp_local_addr(listener, LUNATIC_PTR(&it)) != 0) {
      say("tcp_local_addr failed after %llu", (unsigned long long)i);
      return;
    }
  }
}

/* Makes 1,000,000 configs (under the 2^20 cap), says so, and keeps them. */
EXPORT("configs_hold") void configs_hold(int64_t parent) {
  /* The report is made first: configs count as guest memory, and once they have used the
   * budget up (create_config returns -1) a new message would be refused (abi.md). */
  lunatic_message_create_data(TAG_RESULT, 8);
  int64_t made = 0;
  for (; made < 1000000; ++made) {
    if (lunatic_create_config() < 0) break;
  }
  lunatic_message_write_data(LUNATIC_PTR(&made), 8);
  (void)lunatic_message_send((uint64_t)parent);
  for (;;) (void)receive_tag(TAG_GO, LUNATIC_NO_TIMEOUT);
}

/* Four processes each holding a million configs: host memory the guests hold. */
static int config_objects(void) {
  uint64_t by = bystander_start();
  uint64_t pids[4] = {0};
  for (int i = 0; i < 4; ++i) pids[i] = spawn_with_parent(0, "configs_hold");
  int64_t total = 0;
  for (int i = 0; i < 4; ++i) {
    int64_t n = receive_value(TAG_RESULT, 60000, -1);
    if (n > 0) total += n;
  }
  say("configs held by 4 processes=%lld", (long long)total);
  bystander_stop(by);
  for (int i = 0; i < 4; ++i) {
    if (pids[i]) lunatic_kill(pids[i]);
  }
  return 0;
}

static int resources(void) {
  uint64_t by = bystander_start();
  uint64_t pid = spawn_watch("configs_forever", 10);
  if (pid) watch_outcome("configs flood", pid, 10, 60000);
  pid = spawn_watch("iterators_forever", 11);
  if (pid) watch_outcome("dns iterators flood", pid, 11, 60000);
  /* WASI descriptors: the documented cap is 4,096 per process (EMFILE, 33). */
  int opened = 0;
  __wasi_errno_t last = 0;
  for (int i = 0; i < 5000; ++i) {
    __wasi_fd_t f;
    last = __wasi_path_open(3, 0, "inside.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &f);
    if (last != 0) break;
    ++opened;
  }
  say("fds opened=%d then errno=%u", opened, last);
  bystander_stop(by);
  return 0;
}

/* ---- recursion ---- */

static volatile uint64_t g_depth_limit = UINT64_MAX; /* never reached */

__attribute__((noinline)) static uint64_t recurse(uint64_t n) {
  volatile uint8_t frame[2048];
  frame[n % sizeof frame] = (uint8_t)n;
  if (n >= g_depth_limit) return n;
  return recurse(n + 1) + frame[(n * 7) % sizeof frame];
}

/* No local has its address taken: nothing on the shadow stack in linear memory, so only the
 * native (fiber) stack fills. */
__attribute__((noinline)) static uint64_t recurse_native(uint64_t n, uint64_t a, uint64_t b) {
  if (n >= g_depth_limit) return a ^ b;
  /* Two calls: the C compiler cannot turn this into a loop (one call it could, with an
   * accumulator), and the first goes down without end. */
  return recurse_native(n + 1, a * 31 + n, b ^ (a >> 3)) * 3 + recurse_native(n + 2, b, a);
}

EXPORT("recurser") void recurser(int64_t parent) {
  (void)parent;
  say("recursion returned %llu", (unsigned long long)recurse(0));
}

EXPORT("recurser_native") void recurser_native(int64_t parent) {
  (void)parent;
  say("native recursion returned %llu", (unsigned long long)recurse_native(0, 1, 2));
}

static int recursion(void) {
  uint64_t by = bystander_start();
  lunatic_die_when_link_dies(0);
  uint64_t pids[20];
  int n = 0;
  for (int i = 0; i < 20; ++i) {
    params_t p = {.len = 0};
    param_i64(&p, (int64_t)lunatic_process_id());
    uint64_t id = 0;
    if (spawn_fn(500 + i, -1, -1, i % 2 ? "recurser_native" : "recurser", &p, &id) == 0) {
      lunatic_monitor(id);
      pids[n++] = id;
    }
  }
  int died = 0, failed = 0;
  for (int i = 0; i < n; ++i) {
    if (await_death(pids[i], 20000) >= 0) ++died;
  }
  for (int i = 0; i < n; ++i) {
    if (link_died(500 + i, 100)) ++failed;
  }
  say("recursion died=%d failed=%d of %d", died, failed, n);
  bystander_stop(by);
  return 0;
}

/* ---- compile_huge ---- */

EXPORT("compile_victim") void compile_victim(int64_t parent, int32_t functions, int32_t ops) {
  wbuf_t m = module_big((uint32_t)(now_ns() / 1000), (uint32_t)functions, (uint32_t)ops);
  send_value((uint64_t)parent, TAG_HELLO, (int64_t)m.len);
  uint64_t id = 0;
  int32_t r = compile_buf(&m, &id);
  say("compile_victim: compile returned %d", r);
}

static void compile_and_kill(int32_t functions, int32_t ops, uint64_t after_ms);

static void timed_compile(const char* what, const wbuf_t* m) {
  const uint64_t start = now_ns();
  uint64_t id = 0;
  int32_t r = compile_buf(m, &id);
  say("compile %s: %s ms=%llu", what, compile_outcome(r, id), (unsigned long long)ms_since(start));
}

static int compile_huge(void) {
  uint64_t by = bystander_start();
  {
    /* 65 MiB: a header, then a custom section that fills it. */
    const uint32_t size = (65u << 20);
    wbuf_t m = {0};
    wb_reserve(&m, size + 16);
    wb_header(&m);
    wb_byte(&m, 0x00);
    wb_uleb(&m, size - 16);
    wb_byte(&m, 1);
    wb_byte(&m, 'x');
    if (!m.failed) {
      memset(m.p + m.len, 0, size - 18);
      m.len += size - 18;
    }
    timed_compile("65 MiB", &m);
    wb_free(&m);
  }
  {
    wbuf_t body = {0};
    wb_byte(&body, 0x00);
    for (int i = 0; i < 5000; ++i) {
      wb_byte(&body, 0x02);
      wb_byte(&body, 0x40);
    }
    for (int i = 0; i < 5000; ++i) wb_byte(&body, 0x0B);
    wb_byte(&body, 0x0B);
    wbuf_t m = module_one(&body, -1, -1, -1);
    timed_compile("blocks nested 5000 deep", &m);
    wb_free(&m);
    wb_free(&body);
  }
  {
    wbuf_t body = {0};
    wb_byte(&body, 0x01);
    wb_uleb(&body, 50001);
    wb_byte(&body, 0x7F);
    wb_byte(&body, 0x0B);
    wbuf_t m = module_one(&body, -1, -1, -1);
    timed_compile("50001 locals", &m);
    wb_free(&m);
    body.len = 0;
    wb_byte(&body, 0x01);
    wb_uleb(&body, 0xFFFFFFFFu);
    wb_byte(&body, 0x7E);
    wb_byte(&body, 0x0B);
    m = module_one(&body, -1, -1, -1);
    timed_compile("2^32-1 locals", &m);
    wb_free(&m);
    wb_free(&body);
  }
  {
    /* Declares 2^32-1 functions and gives none. */
    wbuf_t m = {0}, s = {0};
    wb_header(&m);
    static const uint8_t types[] = {0x01, 0x60, 0x00, 0x00};
    wb_bytes(&s, types, sizeof types);
    wb_section(&m, 1, &s);
    s.len = 0;
    wb_uleb(&s, 0xFFFFFFFFu);
    wb_byte(&s, 0x00);
    wb_section(&m, 3, &s);
    timed_compile("2^32-1 functions declared", &m);
    wb_free(&m);
    wb_free(&s);
  }
  {
    /* A memory declared with 65537 pages minimum. */
    wbuf_t body = {0};
    wb_byte(&body, 0x00);
    wb_byte(&body, 0x0B);
    wbuf_t m = module_one(&body, -1, -1, 65537);
    timed_compile("memory of 65537 pages", &m);
    wb_free(&m);
    wb_free(&body);
  }
  /* A valid module of about 3 MiB (many seconds of C compiler work), killed while it
   * compiles. */
  compile_and_kill(1000, 400, 1200);
  bystander_stop(by);
  return 0;
}

/* Spawns compile_victim(functions, ops), kills it `after_ms` after it starts compiling. */
static void compile_and_kill(int32_t functions, int32_t ops, uint64_t after_ms) {
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  param_i32(&p, functions);
  param_i32(&p, ops);
  uint64_t pid = spawn_or_say(0, "compile_victim", &p);
  if (!pid) return;
  lunatic_monitor(pid);
  int64_t len = receive_value(TAG_HELLO, 30000, -1);
  say("module bytes=%lld", (long long)len);
  lunatic_sleep_ms(after_ms);
  kill_and_time(pid, "compiling");
}

/* A valid module of about 14 MiB (a fifth of the 64 MiB compile_module takes): the host
 * memory the runtime spends translating it counts against --max-memory (abi.md), which this
 * case sets too low for it. */
static int compile_memory(void) {
  uint64_t by = bystander_start();
  wbuf_t m = module_big((uint32_t)(now_ns() / 1000), 2000, 1000);
  say("module bytes=%zu", m.len);
  timed_compile("of 14 MiB", &m);
  wb_free(&m);
  bystander_stop(by);
  return 0;
}

/* ---- registry ---- */

EXPORT("registry_flood") void registry_flood(int64_t parent) {
  (void)parent;
  char name[1024];
  memset(name, 'r', sizeof name);
  for (uint64_t i = 0;; ++i) {
    int n = snprintf(name, 32, "%llu", (unsigned long long)i);
    name[n] = '-';
    lunatic_registry_put(LUNATIC_PTR(name), sizeof name, 0, lunatic_process_id());
  }
}

EXPORT("registry_huge_name") void registry_huge_name(int64_t parent) {
  (void)parent;
  const uint32_t size = (128u << 10) + 1;
  char* name = malloc(size);
  if (!name) {
    say("registry_huge_name: no memory for the name");
    return;
  }
  memset(name, 'h', size);
  lunatic_registry_put(LUNATIC_PTR(name), size, 0, lunatic_process_id());
  say("registry_huge_name: put returned");
}

static int registry(void) {
  uint64_t by = bystander_start();
  /* The huge name first: the flood's entries keep their memory charged after it dies
   * (docs/abi.md: until replaced or removed). */
  uint64_t pid = spawn_watch("registry_huge_name", 21);
  if (pid) watch_outcome("registry name of 128 KiB + 1", pid, 21, 10000);
  pid = spawn_watch("registry_flood", 20);
  if (pid) watch_outcome("registry flood", pid, 20, 30000);
  static const char name[] = "main-after-flood";
  lunatic_registry_put(LUNATIC_PTR(name), sizeof name - 1, 0, lunatic_process_id());
  uint64_t node = 9, proc = 0;
  uint32_t r = lunatic_registry_get(LUNATIC_PTR(name), sizeof name - 1, LUNATIC_PTR(&node),
                                    LUNATIC_PTR(&proc));
  say("main registry put/get after the flood: %s",
      r == 0 && proc == lunatic_process_id() ? "ok" : "FAILED");
  bystander_stop(by);
  return 0;
}

/* ---- config strings ---- */

EXPORT("env_flood") void env_flood(int64_t parent) {
  (void)parent;
  const uint32_t size = 128u << 10; /* the longest string a guest may pass */
  char* value = malloc(size);
  if (!value) return;
  memset(value, 'v', size);
  uint64_t config = (uint64_t)lunatic_create_config();
  for (;;)
    lunatic_config_add_environment_variable(config, LUNATIC_PTR("K"), 1, LUNATIC_PTR(value), size);
}

EXPORT("arg_flood") void arg_flood(int64_t parent) {
  (void)parent;
  const uint32_t size = 128u << 10;
  char* value = malloc(size);
  if (!value) return;
  memset(value, 'a', size);
  for (;;) {
    uint64_t config = (uint64_t)lunatic_create_config();
    for (int i = 0; i < 8; ++i)
      lunatic_config_add_command_line_argument(config, LUNATIC_PTR(value), size);
  }
}

static int config_strings(void) {
  uint64_t by = bystander_start();
  uint64_t pid = spawn_watch("env_flood", 30);
  if (pid) watch_outcome("env flood", pid, 30, 30000);
  pid = spawn_watch("arg_flood", 31);
  if (pid) watch_outcome("arg flood", pid, 31, 30000);
  bystander_stop(by);
  return 0;
}

/* ---- huge messages ---- */

EXPORT("capacity_2_40") void capacity_2_40(int64_t parent) {
  (void)parent;
  lunatic_message_create_data(1, 1ull << 40);
  say("capacity 2^40: create_data returned");
}

EXPORT("capacity_2_63") void capacity_2_63(int64_t parent) {
  (void)parent;
  lunatic_message_create_data(1, 1ull << 63);
  say("capacity 2^63: create_data returned");
}

EXPORT("write_forever") void write_forever(int64_t parent) {
  (void)parent;
  const uint32_t size = 16u << 20;
  uint8_t* buf = malloc(size);
  if (!buf) return;
  memset(buf, 1, size);
  lunatic_message_create_data(1, 0);
  for (;;) lunatic_message_write_data(LUNATIC_PTR(buf), size);
}

static int huge_message(void) {
  uint64_t by = bystander_start();
  uint64_t pid = spawn_watch("capacity_2_40", 40);
  if (pid) watch_outcome("capacity 2^40", pid, 40, 10000);
  pid = spawn_watch("capacity_2_63", 41);
  if (pid) watch_outcome("capacity 2^63", pid, 41, 10000);
  pid = spawn_watch("write_forever", 42);
  if (pid) watch_outcome("write past the limit", pid, 42, 30000);
  bystander_stop(by);
  return 0;
}

/* ---- many processes ---- */

static int many_processes(void) {
  uint64_t by = bystander_start();
  const uint64_t start = now_ns();
  int64_t made = 0;
  for (;;) {
    uint64_t id = 0;
    if (spawn_fn(0, -1, -1, "idle", 0, &id) != 0) {
      say("spawned=%lld then refused: %s", (long long)made, error_text(id));
      break;
    }
    if (++made >= 2000000) {
      say("spawned=%lld never refused", (long long)made);
      break;
    }
  }
  say("spawn ms=%llu", (unsigned long long)ms_since(start));
  bystander_stop(by);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    say("usage: b_exhaust <mode>");
    return 2;
  }
  const char* m = argv[1];
  if (!strcmp(m, "nop")) {
    say("nop");
    return 0;
  }
  if (!strcmp(m, "fork_bomb")) return fork_bomb(0);
  if (!strcmp(m, "fork_bomb_supervisors")) return fork_bomb(1);
  if (!strcmp(m, "subtree")) return subtree();
  if (!strcmp(m, "fuel")) return fuel();
  if (!strcmp(m, "memory_bomb")) return memory_bomb();
  if (!strcmp(m, "grow_loop")) return grow_loop();
  if (!strcmp(m, "huge_table")) return huge_table();
  if (!strcmp(m, "resources")) return resources();
  if (!strcmp(m, "config_objects")) return config_objects();
  if (!strcmp(m, "recursion")) return recursion();
  if (!strcmp(m, "compile_huge")) return compile_huge();
  if (!strcmp(m, "compile_memory")) return compile_memory();
  if (!strcmp(m, "registry")) return registry();
  if (!strcmp(m, "config_strings")) return config_strings();
  if (!strcmp(m, "huge_message")) return huge_message();
  if (!strcmp(m, "many_processes")) return many_processes();
  say("unknown mode %s", m);
  return 2;
}
