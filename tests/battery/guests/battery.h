/* Shared helpers of the hostile-guest battery (tests/battery). Written from docs/abi.md,
 * docs/wasi.md and sdk/cpp/include/lunatic/abi.h only.
 *
 * Conventions:
 *   - every guest is `<guest>.wasm <mode> [args...]`; `nop` prints "nop" (the runner warms the
 *     artifact cache with it);
 *   - output goes through say(): one fd_write per line, so lines of processes never mix;
 *   - results the runner checks are printed as `key=value` (e.g. `kill_ms=3`) or as plain lines;
 *   - a "bystander" is a process that sleeps 10 ms in a loop and measures how late it wakes;
 *     bystander_stop() prints `bystander max_late_ms=N`. */
#ifndef BATTERY_H
#define BATTERY_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wasi/api.h>

#include "lunatic/abi.h"

#define EXPORT(name) __attribute__((export_name(name), used))
#define MS_NS 1000000ull
#define SECOND_NS 1000000000ull

#define TAG_GO 0x6001
#define TAG_STOP 0x6002
#define TAG_REPORT 0x6003
#define TAG_HELLO 0x6004
#define TAG_RESULT 0x6005

/* ---- output ---- */

static inline void say_fd(int fd, const char* fmt, va_list ap) {
  char buf[1536];
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  if (n < 0) n = 0;
  if (n > (int)sizeof buf - 2) n = (int)sizeof buf - 2;
  buf[n++] = '\n';
  __wasi_ciovec_t iov = {(const uint8_t*)buf, (size_t)n};
  size_t written = 0;
  (void)__wasi_fd_write(fd, &iov, 1, &written);
}

static inline void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void say(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  say_fd(1, fmt, ap);
  va_end(ap);
}

static inline uint64_t now_ns(void) {
  __wasi_timestamp_t t = 0;
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
  return t;
}

static inline uint64_t ms_since(uint64_t start_ns) { return (now_ns() - start_ns) / MS_NS; }

/* ---- spawn ---- */

typedef struct {
  uint8_t bytes[17 * 8];
  uint32_t len;
} params_t;

static inline void param_raw(params_t* p, uint8_t type, int64_t value) {
  uint8_t* r = p->bytes + p->len;
  r[0] = type;
  for (int i = 0; i < 16; ++i) {
    r[1 + i] = i < 8 ? (uint8_t)((uint64_t)value >> (8 * i)) : (value < 0 ? 0xFF : 0x00);
  }
  p->len += 17;
}
static inline void param_i32(params_t* p, int32_t v) { param_raw(p, LUNATIC_PARAM_I32, v); }
static inline void param_i64(params_t* p, int64_t v) { param_raw(p, LUNATIC_PARAM_I64, v); }

static inline uint32_t spawn_fn(int64_t link, int64_t config, int64_t module, const char* fn,
                                const params_t* p, uint64_t* id) {
  return lunatic_spawn(link, config, module, LUNATIC_PTR(fn), (uint32_t)strlen(fn),
                       p ? LUNATIC_PTR(p->bytes) : 0, p ? p->len : 0, LUNATIC_PTR(id));
}

/* The text of an error id (which is then dropped), cut to fit a line. */
static inline const char* error_text(uint64_t error_id) {
  static char text[1024];
  uint32_t size = lunatic_error_string_size(error_id);
  if (size < sizeof text) {
    lunatic_error_to_string(error_id, LUNATIC_PTR(text));
    text[size] = 0;
  } else {
    char* big = malloc(size + 1);
    if (big) {
      lunatic_error_to_string(error_id, LUNATIC_PTR(big));
      memcpy(text, big, sizeof text - 1);
      text[sizeof text - 1] = 0;
      free(big);
    } else {
      snprintf(text, sizeof text, "(an error text of %u bytes)", size);
    }
  }
  lunatic_error_drop(error_id);
  return text;
}

/* Spawns `fn` of this module with this process's config; 0 (and a line saying why) on failure. */
static inline uint64_t spawn_or_say(int64_t link, const char* fn, const params_t* p) {
  uint64_t id = 0;
  uint32_t r = spawn_fn(link, -1, -1, fn, p, &id);
  if (r != 0) {
    say("spawn %s failed: %u %s", fn, r, r == 1 ? error_text(id) : "");
    return 0;
  }
  return id;
}

/* Spawns fn(parent) where parent is this process. */
static inline uint64_t spawn_with_parent(int64_t link, const char* fn) {
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  return spawn_or_say(link, fn, &p);
}

/* ---- messages ---- */

static inline void send_value(uint64_t pid, int64_t tag, int64_t value) {
  lunatic_message_create_data(tag, 8);
  lunatic_message_write_data(LUNATIC_PTR(&value), 8);
  (void)lunatic_message_send(pid);
}

static inline uint32_t receive_tag(int64_t tag, uint64_t timeout_ms) {
  int64_t tags[1] = {tag};
  return lunatic_message_receive(LUNATIC_PTR(tags), 1, timeout_ms);
}

static inline uint32_t receive_any(uint64_t timeout_ms) {
  return lunatic_message_receive(0, 0, timeout_ms);
}

/* The first i64 of the next message with `tag`; `fallback` on timeout. */
static inline int64_t receive_value(int64_t tag, uint64_t timeout_ms, int64_t fallback) {
  if (receive_tag(tag, timeout_ms) != LUNATIC_MESSAGE_DATA) return fallback;
  int64_t v = fallback;
  if (lunatic_message_read_data(LUNATIC_PTR(&v), 8) != 8) return fallback;
  return v;
}

/* Signals that arrived while waiting for something else: the deaths of monitored processes
 * and the tags of link-died messages, so no waiter loses another's message. */
#define SEEN_MAX 4096
static uint64_t g_dead[SEEN_MAX];
static int g_dead_count;
static int64_t g_link_died[SEEN_MAX];
static int g_link_died_count;

static inline void note_signal(uint32_t r) {
  if (r == LUNATIC_MESSAGE_PROCESS_DIED && g_dead_count < SEEN_MAX) {
    g_dead[g_dead_count++] = lunatic_message_get_process_id();
  } else if (r == LUNATIC_MESSAGE_LINK_DIED && g_link_died_count < SEEN_MAX) {
    g_link_died[g_link_died_count++] = lunatic_message_get_tag();
  }
}

static inline int seen_dead(uint64_t pid) {
  for (int i = 0; i < g_dead_count; ++i) {
    if (g_dead[i] == pid) return 1;
  }
  return 0;
}

static inline int seen_link_died(int64_t tag) {
  for (int i = 0; i < g_link_died_count; ++i) {
    if (g_link_died[i] == tag) return 1;
  }
  return 0;
}

/* Waits for the process-died message of `pid` (monitored); other signals are noted, data
 * messages dropped. Returns the us it took, or -1 on timeout. */
static inline int64_t await_death(uint64_t pid, uint64_t timeout_ms) {
  const uint64_t start = now_ns();
  for (;;) {
    if (seen_dead(pid)) return (int64_t)((now_ns() - start) / 1000);
    uint64_t spent = ms_since(start);
    if (spent >= timeout_ms) return -1;
    uint32_t r = receive_any(timeout_ms - spent);
    if (r == LUNATIC_TIMEOUT) return -1;
    note_signal(r);
  }
}

/* After a linked process died: 1 when it failed (a link-died with `tag` came or comes). */
static inline int link_died(int64_t tag, uint64_t timeout_ms) {
  if (seen_link_died(tag)) return 1;
  return receive_tag(tag, timeout_ms) == LUNATIC_MESSAGE_LINK_DIED;
}

/* Kills a monitored process and prints `kill_ms=N` (the time until its process-died message),
 * or `kill_ms=-1 (no death seen)`. */
static inline int64_t kill_and_time(uint64_t pid, const char* what) {
  const uint64_t start = now_ns();
  lunatic_kill(pid);
  int64_t us = await_death(pid, 10000);
  if (us < 0) {
    say("%s kill_ms=-1 (no process-died within 10 s)", what);
    return -1;
  }
  const uint64_t ms = (now_ns() - start) / MS_NS;
  say("%s kill_ms=%llu", what, (unsigned long long)ms);
  return (int64_t)ms;
}

/* ---- children every guest may spawn ---- */

EXPORT("idle") void idle(void) {
  for (;;) (void)receive_tag(TAG_GO, LUNATIC_NO_TIMEOUT);
}

EXPORT("spin") void spin(void) {
  volatile uint64_t n = 0;
  for (;;) n = n + 1;
}

EXPORT("trap_now") void trap_now(void) { __builtin_trap(); }

EXPORT("return_now") void return_now(void) {}

/* Tells parent it runs, then spins. */
EXPORT("spin_hello") void spin_hello(int64_t parent) {
  send_value((uint64_t)parent, TAG_HELLO, 0);
  volatile uint64_t n = 0;
  for (;;) n = n + 1;
}

/* ---- the bystander ---- */

/* Sleeps 10 ms in a loop and keeps its worst lateness until told to stop (TAG_STOP), then
 * sends it back. The reply is the stop message itself with the report appended (the stop
 * message is made with room for it): the bystander allocates nothing, so it can report even
 * when an attacker has taken all the guest memory there is. */
EXPORT("bystander") void bystander(int64_t parent) {
  uint64_t worst = 0;
  uint64_t rounds = 0;
  for (;;) {
    const uint64_t before = now_ns();
    lunatic_sleep_ms(10);
    const uint64_t slept = now_ns() - before;
    const uint64_t late = slept > 10 * MS_NS ? slept - 10 * MS_NS : 0;
    if (late > worst) worst = late;
    ++rounds;
    if (receive_tag(TAG_STOP, 0) == LUNATIC_MESSAGE_DATA) break;
  }
  int64_t report[2] = {(int64_t)worst, (int64_t)rounds};
  lunatic_message_write_data(LUNATIC_PTR(report), sizeof report);
  (void)lunatic_message_send((uint64_t)parent);
}

static inline uint64_t bystander_start(void) {
  uint64_t pid = spawn_with_parent(0, "bystander");
  if (pid) lunatic_sleep_ms(30); /* it has run and sleeps */
  return pid;
}

/* Stops the bystander and prints `bystander max_late_ms=N rounds=R` (-1: no report). */
static inline void bystander_stop(uint64_t pid) {
  if (!pid) {
    say("bystander max_late_ms=-1 (never started)");
    return;
  }
  int64_t zero = 0;
  lunatic_message_create_data(TAG_STOP, 64);
  lunatic_message_write_data(LUNATIC_PTR(&zero), 8);
  (void)lunatic_message_send(pid);
  if (receive_tag(TAG_STOP, 10000) != LUNATIC_MESSAGE_DATA) {
    say("bystander max_late_ms=-1 (no report within 10 s)");
    return;
  }
  int64_t report[3] = {0, -1, 0};
  lunatic_message_read_data(LUNATIC_PTR(report), sizeof report);
  say("bystander max_late_ms=%lld rounds=%lld", (long long)(report[1] / 1000000),
      (long long)report[2]);
}

/* Sleeps `ms` while the attack runs. */
static inline void attack_for(uint64_t ms) { lunatic_sleep_ms(ms); }

/* ---- wasm modules made at run time (for compile_module) ---- */

typedef struct {
  uint8_t* p;
  size_t len, cap;
  int failed;
} wbuf_t;

static inline void wb_reserve(wbuf_t* b, size_t more) {
  if (b->failed) return;
  if (b->len + more <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + more) cap *= 2;
  uint8_t* n = realloc(b->p, cap);
  if (!n) {
    b->failed = 1;
    return;
  }
  b->p = n;
  b->cap = cap;
}
static inline void wb_byte(wbuf_t* b, uint8_t v) {
  wb_reserve(b, 1);
  if (!b->failed) b->p[b->len++] = v;
}
static inline void wb_bytes(wbuf_t* b, const void* v, size_t n) {
  wb_reserve(b, n);
  if (!b->failed) {
    memcpy(b->p + b->len, v, n);
    b->len += n;
  }
}
static inline void wb_uleb(wbuf_t* b, uint64_t v) {
  do {
    uint8_t x = v & 0x7F;
    v >>= 7;
    if (v) x |= 0x80;
    wb_byte(b, x);
  } while (v);
}
static inline void wb_sleb(wbuf_t* b, int64_t v) {
  for (;;) {
    uint8_t x = v & 0x7F;
    v >>= 7;
    if ((v == 0 && !(x & 0x40)) || (v == -1 && (x & 0x40))) {
      wb_byte(b, x);
      return;
    }
    wb_byte(b, x | 0x80);
  }
}
static inline void wb_free(wbuf_t* b) {
  free(b->p);
  b->p = 0;
  b->len = b->cap = 0;
}
static inline void wb_header(wbuf_t* b) {
  static const uint8_t h[8] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
  wb_bytes(b, h, 8);
}
/* Appends section `id` with the contents of `s`. */
static inline void wb_section(wbuf_t* b, uint8_t id, const wbuf_t* s) {
  wb_byte(b, id);
  wb_uleb(b, s->len);
  wb_bytes(b, s->p, s->len);
}

/* A module with `functions` functions () -> i32 of `ops` arithmetic each, constants salted:
 * valid, and as much C compiler work as asked. Exports the first as "f". */
static inline wbuf_t module_big(uint32_t salt, uint32_t functions, uint32_t ops) {
  wbuf_t m = {0}, s = {0}, body = {0};
  wb_header(&m);
  static const uint8_t types[] = {0x01, 0x60, 0x00, 0x01, 0x7F};
  s.len = 0;
  wb_bytes(&s, types, sizeof types);
  wb_section(&m, 1, &s);
  s.len = 0;
  wb_uleb(&s, functions);
  for (uint32_t i = 0; i < functions; ++i) wb_byte(&s, 0x00);
  wb_section(&m, 3, &s);
  static const uint8_t exports[] = {0x01, 0x01, 'f', 0x00, 0x00};
  s.len = 0;
  wb_bytes(&s, exports, sizeof exports);
  wb_section(&m, 7, &s);
  s.len = 0;
  wb_uleb(&s, functions);
  for (uint32_t i = 0; i < functions; ++i) {
    body.len = 0;
    wb_byte(&body, 0x00);
    wb_byte(&body, 0x41);
    wb_sleb(&body, (int32_t)(salt * 7919u + i));
    for (uint32_t k = 0; k < ops; ++k) {
      wb_byte(&body, 0x41);
      wb_sleb(&body, (int32_t)(salt ^ (k * 2654435761u)));
      wb_byte(&body, (k % 3 == 0) ? 0x6C : 0x6A);
    }
    wb_byte(&body, 0x0B);
    wb_uleb(&s, body.len);
    wb_bytes(&s, body.p, body.len);
  }
  wb_section(&m, 10, &s);
  if (s.failed || body.failed) m.failed = 1;
  wb_free(&s);
  wb_free(&body);
  return m;
}

/* A module with one function () -> () "f" whose body is `body` (locals declaration included),
 * an optional funcref table (initial, max; max < 0: none; initial < 0: no table), and an
 * optional memory of `mem_pages` pages (< 0: none). */
static inline wbuf_t module_one(const wbuf_t* body, int64_t table_initial, int64_t table_max,
                                int64_t mem_pages) {
  wbuf_t m = {0}, s = {0};
  wb_header(&m);
  static const uint8_t types[] = {0x01, 0x60, 0x00, 0x00};
  wb_bytes(&s, types, sizeof types);
  wb_section(&m, 1, &s);
  s.len = 0;
  wb_byte(&s, 0x01);
  wb_byte(&s, 0x00);
  wb_section(&m, 3, &s);
  if (table_initial >= 0) {
    s.len = 0;
    wb_byte(&s, 0x01);
    wb_byte(&s, 0x70);
    if (table_max >= 0) {
      wb_byte(&s, 0x01);
      wb_uleb(&s, (uint64_t)table_initial);
      wb_uleb(&s, (uint64_t)table_max);
    } else {
      wb_byte(&s, 0x00);
      wb_uleb(&s, (uint64_t)table_initial);
    }
    wb_section(&m, 4, &s);
  }
  if (mem_pages >= 0) {
    s.len = 0;
    wb_byte(&s, 0x01);
    wb_byte(&s, 0x00);
    wb_uleb(&s, (uint64_t)mem_pages);
    wb_section(&m, 5, &s);
  }
  static const uint8_t exports[] = {0x01, 0x01, 'f', 0x00, 0x00};
  s.len = 0;
  wb_bytes(&s, exports, sizeof exports);
  wb_section(&m, 7, &s);
  s.len = 0;
  wb_byte(&s, 0x01);
  wb_uleb(&s, body->len);
  wb_bytes(&s, body->p, body->len);
  wb_section(&m, 10, &s);
  if (s.failed || body->failed) m.failed = 1;
  wb_free(&s);
  return m;
}

/* compile_module of a buffer: returns its result and prints nothing; *id module or error id. */
static inline int32_t compile_buf(const wbuf_t* m, uint64_t* id) {
  if (m->failed) return -2;
  return lunatic_compile_module(LUNATIC_PTR(m->p), (uint32_t)m->len, LUNATIC_PTR(id));
}

/* "ok", "refused: <error>", "no permission" for a compile result. */
static inline const char* compile_outcome(int32_t r, uint64_t id) {
  static char text[1200];
  if (r == 0) return "ok";
  if (r == -1) return "no permission (-1)";
  if (r == -2) return "guest out of memory";
  snprintf(text, sizeof text, "refused (%d): %s", r, r == 1 ? error_text(id) : "?");
  return text;
}

#endif
