/* b_kill.wasm <mode> [what]: kills that must land in a process wherever it is, and a runtime
 * that must exit when main returns, whatever the others are doing.
 *
 *   kill <what>      a victim enters <what> (it says so first); 100 ms later (1.5 s for a
 *                    compile) main kills it and prints `<what> kill_ms=N`, the time until the
 *                    victim's process-died message. <what>: sleep receive poll fd_read
 *                    tcp_accept tcp_read dns skip_search catch_loop spin compile memfill
 *                    big_write random
 *   exit_compiling   two processes compile big modules; main returns ("main returns")
 *   exit_busy        processes in every kind of wait and loop; main returns ("main returns")
 *   kill_main        a child kills the main process while it sleeps */
// guest-flags: -mbulk-memory
#include "battery.h"

static int64_t g_parent;

static void hello(void) { send_value((uint64_t)g_parent, TAG_HELLO, 0); }

static const uint8_t kLo[4] = {127, 0, 0, 1};

static uint64_t listen_local(void) {
  uint64_t listener = 0;
  if (lunatic_net_tcp_bind(4, LUNATIC_PTR(kLo), 0, 0, 0, LUNATIC_PTR(&listener)) != 0) return 0;
  return listener + 1; /* 0 means failure */
}

static uint16_t local_port(uint64_t listener) {
  uint64_t it = 0;
  if (lunatic_net_tcp_local_addr(listener, LUNATIC_PTR(&it)) != 0) return 0;
  uint32_t type = 0, flow = 0, scope = 0;
  uint8_t addr[16];
  uint16_t port = 0;
  (void)lunatic_net_resolve_next(it, LUNATIC_PTR(&type), LUNATIC_PTR(addr), LUNATIC_PTR(&port),
                                 LUNATIC_PTR(&flow), LUNATIC_PTR(&scope));
  lunatic_net_drop_dns_iterator(it);
  return port;
}

static void catch_body(int32_t pointer) {
  (void)pointer;
  hello();
  volatile uint64_t n = 0;
  for (;;) n = n + 1;
}

EXPORT("_lunatic_catch_trap") int32_t lunatic_catch_trap_export(int32_t function, int32_t pointer) {
  ((void (*)(int32_t))(uintptr_t)function)(pointer);
  return 1;
}

static void do_what(const char* what) {
  if (!strcmp(what, "sleep")) {
    hello();
    lunatic_sleep_ms(100000000);
  } else if (!strcmp(what, "receive")) {
    hello();
    (void)receive_tag(0x4444, LUNATIC_NO_TIMEOUT);
  } else if (!strcmp(what, "poll")) {
    __wasi_subscription_t sub;
    memset(&sub, 0, sizeof sub);
    sub.u.tag = __WASI_EVENTTYPE_CLOCK;
    sub.u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
    sub.u.u.clock.timeout = 100ull * SECOND_NS;
    __wasi_event_t ev;
    size_t n = 0;
    hello();
    (void)__wasi_poll_oneoff(&sub, &ev, 1, &n);
  } else if (!strcmp(what, "fd_read")) {
    static uint8_t buf[64];
    __wasi_iovec_t iov = {buf, sizeof buf};
    size_t n = 0;
    hello();
    __wasi_errno_t e = __wasi_fd_read(0, &iov, 1, &n);
    say("fd_read returned errno=%u n=%zu (stdin should stay open and empty)", e, n);
  } else if (!strcmp(what, "tcp_accept")) {
    uint64_t l = listen_local();
    if (!l) return;
    uint64_t stream = 0;
    static uint8_t peer[64];
    hello();
    (void)lunatic_net_tcp_accept(l - 1, LUNATIC_PTR(&stream), LUNATIC_PTR(peer));
  } else if (!strcmp(what, "tcp_read")) {
    uint64_t l = listen_local();
    if (!l) return;
    uint16_t port = local_port(l - 1);
    uint64_t stream = 0;
    if (lunatic_net_tcp_connect(4, LUNATIC_PTR(kLo), port, 0, 0, 5000, LUNATIC_PTR(&stream)) != 0)
      return;
    static uint8_t buf[64];
    uint64_t n = 0;
    hello();
    (void)lunatic_net_tcp_read(stream, LUNATIC_PTR(buf), sizeof buf, LUNATIC_PTR(&n));
  } else if (!strcmp(what, "dns")) {
    hello();
    for (;;) {
      uint64_t id = 0;
      uint32_t r = lunatic_net_resolve(LUNATIC_PTR("localhost:80"), 12, LUNATIC_NO_TIMEOUT,
                                       LUNATIC_PTR(&id));
      if (r == 0)
        lunatic_net_drop_dns_iterator(id);
      else if (r == 1)
        lunatic_error_drop(id);
    }
  } else if (!strcmp(what, "skip_search")) {
    hello(); /* first: hello() itself uses the scratch message */
    lunatic_message_create_data(0x4545, 8);
    int64_t v = 0;
    lunatic_message_write_data(LUNATIC_PTR(&v), 8);
    (void)lunatic_message_send_receive_skip_search((uint64_t)g_parent, 0x4646, LUNATIC_NO_TIMEOUT);
  } else if (!strcmp(what, "catch_loop")) {
    (void)lunatic_trap_catch((int32_t)(uintptr_t)&catch_body, 0);
    say("catch returned: the kill was caught");
  } else if (!strcmp(what, "spin")) {
    hello();
    volatile uint64_t n = 0;
    for (;;) n = n + 1;
  } else if (!strcmp(what, "compile")) {
    wbuf_t m = module_big((uint32_t)(now_ns() / 1000), 1000, 400); /* ~3 MiB: many seconds */
    uint64_t id = 0;
    hello();
    int32_t r = compile_buf(&m, &id);
    say("compile returned %d before the kill", r);
  } else if (!strcmp(what, "memfill")) {
    const long old = __builtin_wasm_memory_grow(0, 8192); /* 512 MiB */
    if (old < 0) return;
    uint8_t* base = (uint8_t*)(uintptr_t)(old * 65536);
    hello();
    for (uint32_t round = 0;; ++round) __builtin_memset(base, (int)round, 512u << 20);
  } else if (!strcmp(what, "big_write")) {
    const uint32_t size = 256u << 20;
    uint8_t* buf = malloc(size);
    if (!buf) return;
    memset(buf, 3, size);
    hello();
    for (;;) {
      lunatic_message_create_data(1, 0);
      lunatic_message_write_data(LUNATIC_PTR(buf), size);
    }
  } else if (!strcmp(what, "random")) {
    const uint32_t size = 256u << 20;
    uint8_t* buf = malloc(size);
    if (!buf) return;
    hello();
    for (;;) (void)__wasi_random_get(buf, size);
  }
  say("victim %s: fell through", what);
}

static const char* const kWhats[] = {
    "sleep",       "receive",    "poll", "fd_read", "tcp_accept", "tcp_read",  "dns",
    "skip_search", "catch_loop", "spin", "compile", "memfill",    "big_write", "random"};
#define WHATS (int)(sizeof kWhats / sizeof kWhats[0])

EXPORT("victim") void victim(int64_t parent, int32_t index) {
  g_parent = parent;
  do_what(kWhats[index]);
}

static int index_of(const char* what) {
  for (int i = 0; i < WHATS; ++i) {
    if (!strcmp(kWhats[i], what)) return i;
  }
  return -1;
}

static uint64_t spawn_victim(int index) {
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  param_i32(&p, index);
  return spawn_or_say(0, "victim", &p);
}

static int kill_one(const char* what) {
  int index = index_of(what);
  if (index < 0) {
    say("unknown victim %s", what);
    return 2;
  }
  uint64_t by = bystander_start();
  uint64_t pid = spawn_victim(index);
  if (!pid) return 1;
  lunatic_monitor(pid);
  if (receive_tag(TAG_HELLO, 30000) != LUNATIC_MESSAGE_DATA) {
    say("%s: the victim never got there", what);
    return 1;
  }
  lunatic_sleep_ms(!strcmp(what, "compile") ? 1500 : 100);
  say("%s: victim alive before the kill: %s", what, lunatic_exists(pid) ? "yes" : "no");
  kill_and_time(pid, what);
  bystander_stop(by);
  return 0;
}

static int exit_compiling(void) {
  int index = index_of("compile");
  for (int i = 0; i < 2; ++i) (void)spawn_victim(index);
  for (int i = 0; i < 2; ++i) (void)receive_tag(TAG_HELLO, 30000);
  lunatic_sleep_ms(1500);
  say("main returns");
  return 0;
}

static int exit_busy(void) {
  static const struct {
    const char* what;
    int count;
  } plan[] = {{"spin", 50},       {"sleep", 10},     {"receive", 10}, {"poll", 5},
              {"fd_read", 3},     {"tcp_accept", 3}, {"tcp_read", 3}, {"dns", 2},
              {"skip_search", 3}, {"catch_loop", 2}, {"compile", 1},  {"memfill", 1},
              {"big_write", 1},   {"random", 1}};
  int spawned = 0;
  for (unsigned k = 0; k < sizeof plan / sizeof plan[0]; ++k) {
    for (int i = 0; i < plan[k].count; ++i) {
      if (spawn_victim(index_of(plan[k].what))) ++spawned;
    }
  }
  int ready = 0;
  while (ready < spawned && receive_tag(TAG_HELLO, 30000) == LUNATIC_MESSAGE_DATA) ++ready;
  lunatic_sleep_ms(300);
  say("busy processes ready=%d/%d", ready, spawned);
  say("main returns");
  return 0;
}

EXPORT("main_killer") void main_killer(void) {
  lunatic_sleep_ms(200);
  say("killing main");
  lunatic_kill(1);
}

static int kill_main(void) {
  (void)spawn_or_say(0, "main_killer", 0);
  lunatic_sleep_ms(100000000);
  say("main woke up: the kill did not land");
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    say("usage: b_kill <mode> [what]");
    return 2;
  }
  const char* m = argv[1];
  if (!strcmp(m, "nop")) {
    say("nop");
    return 0;
  }
  if (!strcmp(m, "kill") && argc > 2) return kill_one(argv[2]);
  if (!strcmp(m, "exit_compiling")) return exit_compiling();
  if (!strcmp(m, "exit_busy")) return exit_busy();
  if (!strcmp(m, "kill_main")) return kill_main();
  say("unknown mode %s", m);
  return 2;
}
