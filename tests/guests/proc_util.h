/* Helpers shared by the proc_*.c guests (the tests of lunatic::process and friends).
 *
 * Spawned functions run in a fresh instance where _start never ran, and a process may die at any
 * moment (trap, kill, a linked process's failure), so nothing here uses stdio's buffers: say()
 * writes each line with one direct fd_write, which lands in order and never mixes with the lines
 * of other processes.
 *
 * Conventions of the guests:
 *   - A spawned function returns nothing (Lunatic calls it expecting no results).
 *   - Children that must be monitored first wait for a "go" message (tag GO_TAG), so their death
 *     cannot come before the monitor: spawn, monitor, send_go.
 *   - Messages that arrive are printed by report_next() as one line the test can check exactly,
 *     with known process ids replaced by names (name_pid). */
#ifndef PROC_UTIL_H
#define PROC_UTIL_H

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#include "lunatic/abi.h"

#define EXPORT(name) __attribute__((export_name(name), used))
#define GO_TAG 0x60
/* An address far outside any guest memory here (they are a few pages). */
#define BAD_PTR 0xFFFFFF00u

/* ---- output ---- */

static inline void say(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void say(const char* fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
  va_end(ap);
  if (n < 0) n = 0;
  if (n > (int)sizeof buf - 2) n = (int)sizeof buf - 2;
  buf[n++] = '\n';
  __wasi_ciovec_t iov = {(const uint8_t*)buf, (size_t)n};
  size_t written = 0;
  (void)__wasi_fd_write(1, &iov, 1, &written);
}

static inline uint64_t now_ns(void) {
  __wasi_timestamp_t t = 0;
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t);
  return t;
}

/* Up to `cap` bytes of the file at `path` (a preopened directory's), 0 when it cannot be read. */
static inline uint32_t read_file(const char* path, uint8_t* buf, uint32_t cap) {
  FILE* f = fopen(path, "rb");
  if (!f) return 0;
  size_t n = fread(buf, 1, cap, f);
  fclose(f);
  return (uint32_t)n;
}

/* ---- names for process ids in printed lines ---- */

static struct {
  uint64_t pid;
  const char* name;
} pid_names[64];
static int pid_name_count;

static inline void name_pid(uint64_t pid, const char* name) {
  if (pid_name_count < 64) {
    pid_names[pid_name_count].pid = pid;
    pid_names[pid_name_count].name = name;
    ++pid_name_count;
  }
}

/* The name given to `pid`, or its number. Uses one of four rotating buffers. */
static inline const char* pid_label(uint64_t pid) {
  static char bufs[4][32];
  static int next;
  for (int i = 0; i < pid_name_count; ++i) {
    if (pid_names[i].pid == pid) return pid_names[i].name;
  }
  char* b = bufs[next++ % 4];
  snprintf(b, 32, "pid %llu", (unsigned long long)pid);
  return b;
}

/* ---- spawn ---- */

typedef struct {
  uint8_t bytes[17 * 8];
  uint32_t len;
} params_t;

/* Appends one 17-byte record: the type id, then the value as a little-endian 128-bit integer
 * (sign-extended, as the lunatic crate writes it). */
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

/* lunatic::process::spawn of the export `fn`. Returns spawn's result; *id gets the pid or the
 * error id. */
static inline uint32_t spawn_fn(int64_t link, int64_t config, int64_t module, const char* fn,
                                const params_t* p, uint64_t* id) {
  return lunatic_spawn(link, config, module, LUNATIC_PTR(fn), (uint32_t)strlen(fn),
                       p ? LUNATIC_PTR(p->bytes) : 0, p ? p->len : 0, LUNATIC_PTR(id));
}

/* The text of an error id, which is then dropped. */
static inline const char* error_text(uint64_t error_id) {
  static char text[1024];
  uint32_t size = lunatic_error_string_size(error_id);
  if (size < sizeof text) {
    lunatic_error_to_string(error_id, LUNATIC_PTR(text));
    text[size] = 0;
  } else {
    snprintf(text, sizeof text, "(an error text of %u bytes)", size);
  }
  lunatic_error_drop(error_id);
  return text;
}

/* Spawns `fn` with this process's config and module; says why and returns 0 if it failed. */
static inline uint64_t spawn_or_report(int64_t link, const char* fn, const params_t* p) {
  uint64_t id = 0;
  uint32_t r = spawn_fn(link, -1, -1, fn, p, &id);
  if (r != 0) {
    say("spawn %s failed: %u %s", fn, r, r == 1 ? error_text(id) : "");
    return 0;
  }
  return id;
}

/* ---- messages ---- */

static inline void send_i64s(uint64_t pid, int64_t tag, const int64_t* values, uint32_t n) {
  lunatic_message_create_data(tag, (uint64_t)n * 8);
  if (n > 0) lunatic_message_write_data(LUNATIC_PTR(values), n * 8);
  lunatic_message_send(pid);
}

static inline void send_go(uint64_t pid) { send_i64s(pid, GO_TAG, 0, 0); }

static inline uint32_t receive_tag(int64_t tag, uint64_t timeout_ms) {
  int64_t tags[1] = {tag};
  return lunatic_message_receive(LUNATIC_PTR(tags), 1, timeout_ms);
}

static inline uint32_t receive_any(uint64_t timeout_ms) {
  return lunatic_message_receive(0, 0, timeout_ms);
}

static inline void await_go(void) { (void)receive_tag(GO_TAG, LUNATIC_NO_TIMEOUT); }

/* Reads up to n i64 values from the received data message; returns how many were read. */
static inline uint32_t read_i64s(int64_t* values, uint32_t n) {
  return lunatic_message_read_data(LUNATIC_PTR(values), n * 8) / 8;
}

/* The message receive() just returned `r` for, as text:
 *   data tag=T size=S | link-died tag=T | process-died NAME | timeout */
static inline const char* describe_received(uint32_t r) {
  static char text[128];
  switch (r) {
    case LUNATIC_MESSAGE_DATA:
      snprintf(text, sizeof text, "data tag=%lld size=%llu", (long long)lunatic_message_get_tag(),
               (unsigned long long)lunatic_message_data_size());
      break;
    case LUNATIC_MESSAGE_LINK_DIED:
      snprintf(text, sizeof text, "link-died tag=%lld", (long long)lunatic_message_get_tag());
      break;
    case LUNATIC_MESSAGE_PROCESS_DIED:
      snprintf(text, sizeof text, "process-died %s", pid_label(lunatic_message_get_process_id()));
      break;
    case LUNATIC_TIMEOUT:
      snprintf(text, sizeof text, "timeout");
      break;
    default:
      snprintf(text, sizeof text, "unexpected receive result %u", r);
  }
  return text;
}

/* Receives the next message (any tag) and prints "<what>: <description>". Returns receive's
 * result. */
static inline uint32_t report_next(const char* what, uint64_t timeout_ms) {
  uint32_t r = receive_any(timeout_ms);
  say("%s: %s", what, describe_received(r));
  return r;
}

/* Waits for the process-died message of `pid` (which this process monitors). Anything else that
 * arrives first is printed as "unexpected: ...". Returns 1 when it came, 0 on timeout. */
static inline int await_death(uint64_t pid, uint64_t timeout_ms) {
  for (;;) {
    uint32_t r = receive_any(timeout_ms);
    if (r == LUNATIC_MESSAGE_PROCESS_DIED && lunatic_message_get_process_id() == pid) return 1;
    if (r == LUNATIC_TIMEOUT) return 0;
    say("unexpected: %s", describe_received(r));
  }
}

/* ---- children every guest may spawn ---- */

/* Waits for go, then returns. */
EXPORT("child_normal") void child_normal(void) { await_go(); }

/* Waits for go, then traps. */
EXPORT("child_trap") void child_trap(void) {
  await_go();
  __builtin_trap();
}

/* Traps at once. */
EXPORT("child_trap_now") void child_trap_now(void) { __builtin_trap(); }

/* Returns at once. */
EXPORT("child_return_now") void child_return_now(void) {}

/* Waits for go, then ends with proc_exit(code). */
EXPORT("child_proc_exit") void child_proc_exit(int32_t code) {
  await_go();
  __wasi_proc_exit((__wasi_exitcode_t)code);
}

/* Waits for messages forever (until killed, or a link takes it down). */
EXPORT("child_wait_forever") void child_wait_forever(void) {
  for (;;) (void)receive_tag(0x7FFF, LUNATIC_NO_TIMEOUT);
}

/* Computes forever without calling the host. */
EXPORT("child_spin") void child_spin(void) {
  volatile uint64_t n = 0;
  for (;;) n = n + 1;
}

#endif /* PROC_UTIL_H */
