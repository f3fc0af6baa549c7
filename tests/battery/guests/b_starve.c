/* b_starve.wasm <mode> [attack_ms]: attackers that try to take the workers away from everyone
 * else, beside a bystander (a process sleeping 10 ms in a loop). Each mode starts the
 * bystander, starts its attackers (monitored), lets them run for attack_ms (default 1500),
 * stops the bystander (`bystander max_late_ms=N`), then kills the attackers and prints
 * `attackers max_kill_ms=N killed=K/N`.
 *
 *   spin          50 processes in tight loops without calls
 *   compile_loop  3 processes calling compile_module in a loop (a new module every time)
 *   big_messages  2 processes writing and reading 32 MiB messages in a loop
 *   memfill       2 processes running memory.fill over 128 MiB in a loop
 *   memcopy       2 processes running memory.copy of 64 MiB in a loop
 *   table_fill    2 processes (a compiled module) growing a table and table.fill-ing it in a loop
 *   poll_many     2 processes calling poll_oneoff with 4,096 subscriptions in a loop (and the
 *                 documented EINVAL for 4,097 and for 0)
 *   sleep0        100 processes calling sleep_ms(0) and sched_yield in a loop
 *   timers        200,000 send_after timers that fire, and 200,000 set and cancelled
 *   dns           4 processes resolving in a loop, and a burst of 1,500 concurrent lookups
 *   random        2 processes calling random_get for 64 MiB in a loop
 *   fd_io         2 processes writing and reading 32 MiB to a file in box in a loop */
// guest-flags: -mbulk-memory
#include "battery.h"

#define MAX_ATTACKERS 200

static uint64_t g_attackers[MAX_ATTACKERS];
static int g_count;

static void add_attacker(uint64_t pid) {
  if (pid && g_count < MAX_ATTACKERS) {
    lunatic_monitor(pid);
    g_attackers[g_count++] = pid;
  }
}

static void kill_attackers(void) {
  uint64_t worst = 0;
  int killed = 0;
  for (int i = 0; i < g_count; ++i) {
    const uint64_t start = now_ns();
    lunatic_kill(g_attackers[i]);
    if (await_death(g_attackers[i], 10000) >= 0) {
      ++killed;
      const uint64_t ms = (now_ns() - start) / MS_NS;
      if (ms > worst) worst = ms;
    }
  }
  say("attackers max_kill_ms=%llu killed=%d/%d", (unsigned long long)worst, killed, g_count);
}

/* ---- attackers ---- */

EXPORT("compile_loop") void compile_loop(int64_t parent, int32_t index) {
  for (uint32_t i = 0;; ++i) {
    wbuf_t m = module_big((uint32_t)(now_ns() / 1000) * 7u + (uint32_t)index * 100003u + i, 20, 60);
    uint64_t id = 0;
    int32_t r = compile_buf(&m, &id);
    wb_free(&m);
    if (r == 0) {
      lunatic_drop_module(id);
      send_value((uint64_t)parent, TAG_HELLO, 1);
    } else if (r == 1) {
      lunatic_error_drop(id);
    }
  }
}

EXPORT("big_messages") void big_messages(void) {
  const uint32_t size = 32u << 20;
  uint8_t* buf = malloc(size);
  if (!buf) return;
  memset(buf, 7, size);
  for (;;) {
    lunatic_message_create_data(1, 0);
    lunatic_message_write_data(LUNATIC_PTR(buf), size);
    lunatic_message_seek_data(0);
    lunatic_message_read_data(LUNATIC_PTR(buf), size);
  }
}

EXPORT("memfill") void memfill(void) {
  const long old = __builtin_wasm_memory_grow(0, 2048); /* 128 MiB */
  if (old < 0) return;
  uint8_t* base = (uint8_t*)(uintptr_t)(old * 65536);
  for (uint32_t round = 0;; ++round) __builtin_memset(base, (int)round, 128u << 20);
}

EXPORT("memcopy") void memcopy(void) {
  const long old = __builtin_wasm_memory_grow(0, 2048); /* 128 MiB: 64 MiB to 64 MiB */
  if (old < 0) return;
  uint8_t* base = (uint8_t*)(uintptr_t)(old * 65536);
  for (uint32_t round = 0;; ++round) {
    if (round & 1)
      __builtin_memmove(base, base + (64u << 20), 64u << 20);
    else
      __builtin_memmove(base + (64u << 20), base, 64u << 20);
  }
}

static __wasi_subscription_t g_subs[4097];
static __wasi_event_t g_events[4097];

static void fill_subs(uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) {
    memset(&g_subs[i], 0, sizeof g_subs[i]);
    g_subs[i].userdata = i;
    g_subs[i].u.tag = __WASI_EVENTTYPE_CLOCK;
    g_subs[i].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    g_subs[i].u.u.clock.timeout = 0;
  }
}

EXPORT("poll_many") void poll_many(void) {
  fill_subs(4096);
  for (;;) {
    size_t n = 0;
    (void)__wasi_poll_oneoff(g_subs, g_events, 4096, &n);
  }
}

EXPORT("sleep0") void sleep0(void) {
  for (;;) {
    lunatic_sleep_ms(0);
    (void)__wasi_sched_yield();
  }
}

EXPORT("timer_setter") void timer_setter(int64_t parent) {
  const uint32_t n = 200000;
  const uint64_t self = lunatic_process_id();
  for (uint32_t i = 0; i < n; ++i) {
    lunatic_message_create_data(0x77, 0);
    (void)lunatic_send_after(self, i % 50);
  }
  uint32_t fired = 0;
  while (fired < n && receive_tag(0x77, 5000) == LUNATIC_MESSAGE_DATA) ++fired;
  send_value((uint64_t)parent, TAG_RESULT, fired);
}

EXPORT("timer_canceller") void timer_canceller(int64_t parent) {
  const uint32_t n = 200000;
  const uint64_t self = lunatic_process_id();
  uint32_t cancelled = 0;
  for (uint32_t i = 0; i < n; ++i) {
    lunatic_message_create_data(0x78, 0);
    uint64_t t = lunatic_send_after(self, 3600000);
    cancelled += lunatic_cancel_timer(t);
  }
  send_value((uint64_t)parent, TAG_RESULT + 1, cancelled);
}

EXPORT("dns_loop") void dns_loop(void) {
  for (;;) {
    uint64_t id = 0;
    uint32_t r = lunatic_net_resolve(LUNATIC_PTR("localhost:80"), 12, 5000, LUNATIC_PTR(&id));
    if (r == 0)
      lunatic_net_drop_dns_iterator(id);
    else if (r == 1)
      lunatic_error_drop(id);
  }
}

EXPORT("dns_once") void dns_once(int64_t parent) {
  uint64_t id = 0;
  uint32_t r = lunatic_net_resolve(LUNATIC_PTR("localhost:80"), 12, 10000, LUNATIC_PTR(&id));
  if (r == 0)
    lunatic_net_drop_dns_iterator(id);
  else if (r == 1)
    lunatic_error_drop(id);
  send_value((uint64_t)parent, TAG_RESULT, r);
}

EXPORT("random_loop") void random_loop(void) {
  const uint32_t size = 64u << 20;
  uint8_t* buf = malloc(size);
  if (!buf) return;
  for (;;) (void)__wasi_random_get(buf, size);
}

EXPORT("fd_io") void fd_io(int32_t index) {
  const uint32_t size = 32u << 20;
  uint8_t* buf = malloc(size);
  if (!buf) return;
  memset(buf, 'x', size);
  char name[32];
  snprintf(name, sizeof name, "big_%d.bin", index);
  __wasi_fd_t f;
  if (__wasi_path_open(3, 0, name, __WASI_OFLAGS_CREAT,
                       __WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK, 0, 0,
                       &f) != 0) {
    say("fd_io: cannot open %s", name);
    return;
  }
  for (;;) {
    __wasi_ciovec_t w = {buf, size};
    size_t n = 0;
    (void)__wasi_fd_pwrite(f, &w, 1, 0, &n);
    __wasi_iovec_t r = {buf, size};
    (void)__wasi_fd_pread(f, &r, 1, 0, &n);
  }
}

/* ---- modes ---- */

static int table_module(uint64_t* out) {
  wbuf_t body = {0};
  wb_byte(&body, 0x00); /* no locals */
  wb_byte(&body, 0x03); /* loop */
  wb_byte(&body, 0x40);
  wb_byte(&body, 0xD0); /* ref.null func */
  wb_byte(&body, 0x70);
  wb_byte(&body, 0x41); /* i32.const 1 Mi entries */
  wb_sleb(&body, 1 << 20);
  wb_byte(&body, 0xFC); /* table.grow 0 */
  wb_byte(&body, 0x0F);
  wb_byte(&body, 0x00);
  wb_byte(&body, 0x1A); /* drop */
  wb_byte(&body, 0x41); /* i32.const 0 */
  wb_byte(&body, 0x00);
  wb_byte(&body, 0xD0); /* ref.null func */
  wb_byte(&body, 0x70);
  wb_byte(&body, 0xFC); /* table.size 0 */
  wb_byte(&body, 0x10);
  wb_byte(&body, 0x00);
  wb_byte(&body, 0xFC); /* table.fill 0 */
  wb_byte(&body, 0x11);
  wb_byte(&body, 0x00);
  wb_byte(&body, 0x0C); /* br 0 */
  wb_byte(&body, 0x00);
  wb_byte(&body, 0x0B); /* end loop */
  wb_byte(&body, 0x0B); /* end */
  wbuf_t m = module_one(&body, 0, -1, -1);
  uint64_t id = 0;
  int32_t r = compile_buf(&m, &id);
  wb_free(&m);
  wb_free(&body);
  if (r != 0) {
    say("table module: %s", compile_outcome(r, id));
    return 0;
  }
  *out = id;
  return 1;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    say("usage: b_starve <mode> [attack_ms]");
    return 2;
  }
  const char* m = argv[1];
  const uint64_t attack_ms = argc > 2 ? (uint64_t)atoi(argv[2]) : 1500;
  if (!strcmp(m, "nop")) {
    say("nop");
    return 0;
  }
  uint64_t table_mod = 0;
  if (!strcmp(m, "table_fill")) {
    if (!table_module(&table_mod)) return 1; /* compiled before the bystander starts */
  }
  uint64_t by = bystander_start();
  const uint64_t me = lunatic_process_id();
  int known = 1;
  int64_t expect_results = 0;
  if (!strcmp(m, "spin")) {
    params_t p = {.len = 0};
    param_i64(&p, (int64_t)me);
    for (int i = 0; i < 50; ++i) add_attacker(spawn_or_say(0, "spin_hello", &p));
    int running = 0;
    while (running < 50 && receive_tag(TAG_HELLO, 10000) == LUNATIC_MESSAGE_DATA) ++running;
    say("spinners running=%d", running);
  } else if (!strcmp(m, "compile_loop")) {
    for (int i = 0; i < 3; ++i) {
      params_t p = {.len = 0};
      param_i64(&p, (int64_t)me);
      param_i32(&p, i);
      add_attacker(spawn_or_say(0, "compile_loop", &p));
    }
  } else if (!strcmp(m, "big_messages")) {
    for (int i = 0; i < 2; ++i) add_attacker(spawn_or_say(0, "big_messages", 0));
  } else if (!strcmp(m, "memfill")) {
    for (int i = 0; i < 2; ++i) add_attacker(spawn_or_say(0, "memfill", 0));
  } else if (!strcmp(m, "memcopy")) {
    for (int i = 0; i < 2; ++i) add_attacker(spawn_or_say(0, "memcopy", 0));
  } else if (!strcmp(m, "table_fill")) {
    for (int i = 0; i < 2; ++i) {
      uint64_t id = 0;
      uint32_t r = spawn_fn(0, -1, (int64_t)table_mod, "f", 0, &id);
      if (r == 0)
        add_attacker(id);
      else
        say("table spawn failed: %s", error_text(id));
    }
  } else if (!strcmp(m, "poll_many")) {
    size_t n = 0;
    fill_subs(4097);
    say("poll 4097 subscriptions errno=%u", __wasi_poll_oneoff(g_subs, g_events, 4097, &n));
    say("poll 0 subscriptions errno=%u", __wasi_poll_oneoff(g_subs, g_events, 0, &n));
    for (int i = 0; i < 2; ++i) add_attacker(spawn_or_say(0, "poll_many", 0));
  } else if (!strcmp(m, "sleep0")) {
    for (int i = 0; i < 100; ++i) add_attacker(spawn_or_say(0, "sleep0", 0));
  } else if (!strcmp(m, "timers")) {
    (void)spawn_with_parent(0, "timer_setter");
    (void)spawn_with_parent(0, "timer_canceller");
    expect_results = 2;
  } else if (!strcmp(m, "dns")) {
    for (int i = 0; i < 4; ++i) add_attacker(spawn_or_say(0, "dns_loop", 0));
    for (int i = 0; i < 1500; ++i) (void)spawn_with_parent(0, "dns_once");
    expect_results = 1500;
  } else if (!strcmp(m, "random")) {
    for (int i = 0; i < 2; ++i) add_attacker(spawn_or_say(0, "random_loop", 0));
  } else if (!strcmp(m, "fd_io")) {
    for (int i = 0; i < 2; ++i) {
      params_t p = {.len = 0};
      param_i32(&p, i);
      add_attacker(spawn_or_say(0, "fd_io", &p));
    }
  } else {
    known = 0;
  }
  if (!known) {
    say("unknown mode %s", m);
    return 2;
  }
  const uint64_t start = now_ns();
  if (!strcmp(m, "timers")) {
    int64_t fired = receive_value(TAG_RESULT, 20000, -1);
    int64_t cancelled = receive_value(TAG_RESULT + 1, 20000, -1);
    say("timers fired=%lld cancelled=%lld ms=%llu", (long long)fired, (long long)cancelled,
        (unsigned long long)ms_since(start));
  } else if (!strcmp(m, "dns")) {
    int64_t ok = 0, err = 0, other = 0;
    for (int64_t i = 0; i < expect_results; ++i) {
      int64_t r = receive_value(TAG_RESULT, 20000, -1);
      if (r == 0)
        ++ok;
      else if (r == 1)
        ++err;
      else
        ++other;
    }
    say("dns burst ok=%lld error=%lld other=%lld ms=%llu", (long long)ok, (long long)err,
        (long long)other, (unsigned long long)ms_since(start));
    attack_for(attack_ms / 2);
  } else if (!strcmp(m, "compile_loop")) {
    int64_t compiled = 0;
    while (ms_since(start) < attack_ms) {
      if (receive_tag(TAG_HELLO, 50) == LUNATIC_MESSAGE_DATA) ++compiled;
    }
    say("compiled=%lld", (long long)compiled);
  } else {
    attack_for(attack_ms);
  }
  bystander_stop(by);
  kill_attackers();
  say("%s done", m);
  return 0;
}
