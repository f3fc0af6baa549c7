/* The "processes" benchmark guest: spawn, idle, yield and request, on the raw Lunatic 0.13 ABI
 * (sdk/cpp/include/lunatic/abi.h). bench/processes/procs.erl does the same work on Erlang/OTP.
 *
 *   procs.wasm spawn N      spawn N waiters (each blocks in receive), timing the spawn loop; then
 *                           send each a stop message and count the N replies
 *   procs.wasm idle         the memory protocol with bench/processes/procs.py, over stdin/stdout:
 *                           prints "baseline", reads N from stdin, spawns N waiters and waits until
 *                           each has reported that it runs, prints "ready N", reads a line, stops
 *                           them all, counts the N replies and prints "done N" (as waiter.wat)
 *   procs.wasm yield P K    P processes each call sched_yield K times; timed from the first "go"
 *                           message (once all P run) to the last "done" reply
 *   procs.wasm request N    N times in sequence: spawn a process that adds its two i64 parameters
 *                           and sends the sum back, wait for it and check it
 *
 * Each mode prints one line "procs: mode=... n=... ns=... checked=..." on stdout; the runner checks
 * the counts. Every reply is counted and every sum checked here, so a runtime that drops messages
 * or processes cannot look fast: it hangs (the runner's timeout) or exits 1 with a message.
 *
 * The spawned functions use nothing but lunatic::* imports and sched_yield: they run on a fresh
 * instance of this module, without the C start-up code. */
#include <lunatic/abi.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define EXPORT(name) __attribute__((export_name(#name)))

/* Message tags. */
enum { TAG_STOP = 1, TAG_STARTED = 2, TAG_DONE = 3, TAG_GO = 4, TAG_SUM = 5 };

/* ---- the spawned processes ---- */

static void send_tag(uint64_t to, int64_t tag) {
  lunatic_message_create_data(tag, 0);
  lunatic_message_send(to);
}

/* Blocks in receive until any message arrives, then replies "done". With `notify` set it first
 * tells the parent it runs (the idle benchmark waits for all of them to be parked). */
EXPORT(waiter) void waiter(int64_t parent, int32_t notify) {
  if (notify) send_tag((uint64_t)parent, TAG_STARTED);
  lunatic_message_receive(0, 0, LUNATIC_NO_TIMEOUT);
  send_tag((uint64_t)parent, TAG_DONE);
}

/* Reports that it runs, waits for "go", yields `rounds` times, replies "done". */
EXPORT(yielder) void yielder(int64_t parent, int64_t rounds) {
  send_tag((uint64_t)parent, TAG_STARTED);
  lunatic_message_receive(0, 0, LUNATIC_NO_TIMEOUT);
  for (int64_t i = 0; i < rounds; i++) sched_yield();
  send_tag((uint64_t)parent, TAG_DONE);
}

/* Sends a + b back to the parent (tag TAG_SUM, 8 bytes little-endian), then returns. */
EXPORT(adder) void adder(int64_t parent, int64_t a, int64_t b) {
  int64_t sum = a + b;
  lunatic_message_create_data(TAG_SUM, sizeof sum);
  lunatic_message_write_data(LUNATIC_PTR(&sum), sizeof sum);
  lunatic_message_send((uint64_t)parent);
}

/* ---- the parent (main) ---- */

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fail(const char* what) {
  fprintf(stderr, "procs: %s\n", what);
  exit(1);
}

/* Spawn parameters: 17-byte records [type, 16-byte little-endian value]. */
typedef struct {
  uint8_t bytes[3 * 17];
  uint32_t len;
} Params;

static void param(Params* p, uint8_t type, int64_t value) {
  uint8_t* r = p->bytes + p->len;
  memset(r, 0, 17);
  r[0] = type;
  for (int i = 0; i < 8; i++) r[1 + i] = (uint8_t)((uint64_t)value >> (8 * i));
  if (value < 0) memset(r + 9, 0xFF, 8); /* sign-extended to 128 bits */
  p->len += 17;
}

static uint64_t spawn(const char* func, const Params* p) {
  uint64_t id = 0;
  uint32_t rc = lunatic_spawn(0, -1, -1, LUNATIC_PTR(func), (uint32_t)strlen(func),
                              LUNATIC_PTR(p->bytes), p->len, LUNATIC_PTR(&id));
  if (rc != 0) {
    uint32_t len = lunatic_error_string_size(id);
    char* text = malloc(len + 1u);
    if (!text) fail("spawn failed (no memory for the error text)");
    lunatic_error_to_string(id, LUNATIC_PTR(text));
    text[len] = 0;
    fprintf(stderr, "procs: spawn of %s failed: %s\n", func, text);
    exit(1);
  }
  return id;
}

/* Receives one message with tag `tag`; returns the receive result (0 = data). */
static uint32_t receive_tag(int64_t tag) {
  return lunatic_message_receive(LUNATIC_PTR(&tag), 1, LUNATIC_NO_TIMEOUT);
}

/* Receives `n` messages tagged `tag`, all of them data messages. A reply that takes longer than
 * REPLY_TIMEOUT_MS is a lost message or process: fail rather than hang. */
#define REPLY_TIMEOUT_MS 60000
static void collect(int64_t tag, uint64_t n, const char* what) {
  for (uint64_t i = 0; i < n; i++) {
    uint32_t r = lunatic_message_receive(LUNATIC_PTR(&tag), 1, REPLY_TIMEOUT_MS);
    if (r == LUNATIC_TIMEOUT) {
      fprintf(stderr, "procs: no reply for %d ms after %llu of %llu replies\n", REPLY_TIMEOUT_MS,
              (unsigned long long)i, (unsigned long long)n);
      exit(1);
    }
    if (r != LUNATIC_MESSAGE_DATA) fail(what);
  }
}

static uint64_t* pid_table(uint64_t n) {
  uint64_t* pids = malloc((n ? n : 1) * sizeof *pids);
  if (!pids) fail("out of memory for the pid table");
  return pids;
}

static void stop_all(const uint64_t* pids, uint64_t n) {
  for (uint64_t i = 0; i < n; i++) send_tag(pids[i], TAG_STOP);
}

static int bench_spawn(uint64_t n) {
  uint64_t* pids = pid_table(n);
  Params p = {0};
  param(&p, LUNATIC_PARAM_I64, (int64_t)lunatic_process_id());
  param(&p, LUNATIC_PARAM_I32, 0);
  uint64_t t0 = now_ns();
  for (uint64_t i = 0; i < n; i++) pids[i] = spawn("waiter", &p);
  uint64_t t1 = now_ns();
  stop_all(pids, n);
  collect(TAG_DONE, n, "waiter: unexpected message");
  uint64_t t2 = now_ns();
  printf("procs: mode=spawn n=%llu ns=%llu teardown_ns=%llu checked=%llu\n", (unsigned long long)n,
         (unsigned long long)(t1 - t0), (unsigned long long)(t2 - t1), (unsigned long long)n);
  free(pids);
  return 0;
}

static int read_line(char* buf, int cap) {
  if (!fgets(buf, cap, stdin)) return 0;
  return 1;
}

static int bench_idle(void) {
  char line[64];
  printf("baseline\n");
  fflush(stdout);
  if (!read_line(line, sizeof line)) fail("idle: no count on stdin");
  uint64_t n = strtoull(line, 0, 10);
  uint64_t* pids = pid_table(n);
  Params p = {0};
  param(&p, LUNATIC_PARAM_I64, (int64_t)lunatic_process_id());
  param(&p, LUNATIC_PARAM_I32, 1);
  uint64_t t0 = now_ns();
  for (uint64_t i = 0; i < n; i++) pids[i] = spawn("waiter", &p);
  collect(TAG_STARTED, n, "idle: unexpected message while waiting for the waiters to start");
  uint64_t t1 = now_ns();
  printf("ready %llu\n", (unsigned long long)n);
  fflush(stdout);
  if (!read_line(line, sizeof line)) fail("idle: no stop line on stdin");
  stop_all(pids, n);
  collect(TAG_DONE, n, "idle: unexpected message while waiting for the waiters to finish");
  printf("done %llu\nprocs: mode=idle n=%llu ns=%llu checked=%llu\n", (unsigned long long)n,
         (unsigned long long)n, (unsigned long long)(t1 - t0), (unsigned long long)n);
  free(pids);
  return 0;
}

static int bench_yield(uint64_t procs, uint64_t rounds) {
  uint64_t* pids = pid_table(procs);
  Params p = {0};
  param(&p, LUNATIC_PARAM_I64, (int64_t)lunatic_process_id());
  param(&p, LUNATIC_PARAM_I64, (int64_t)rounds);
  for (uint64_t i = 0; i < procs; i++) pids[i] = spawn("yielder", &p);
  /* The clock starts once every yielder runs: process start-up is the spawn benchmark's. */
  collect(TAG_STARTED, procs, "yield: unexpected message while waiting for the yielders to start");
  uint64_t t0 = now_ns();
  for (uint64_t i = 0; i < procs; i++) send_tag(pids[i], TAG_GO);
  collect(TAG_DONE, procs, "yield: unexpected message");
  uint64_t t1 = now_ns();
  printf("procs: mode=yield n=%llu rounds=%llu ns=%llu checked=%llu\n", (unsigned long long)procs,
         (unsigned long long)rounds, (unsigned long long)(t1 - t0), (unsigned long long)procs);
  free(pids);
  return 0;
}

static int bench_request(uint64_t n) {
  int64_t parent = (int64_t)lunatic_process_id();
  int64_t total = 0, expected = 0;
  uint64_t t0 = now_ns();
  for (uint64_t i = 0; i < n; i++) {
    int64_t a = (int64_t)i, b = 2 * (int64_t)i + 1;
    Params p = {0};
    param(&p, LUNATIC_PARAM_I64, parent);
    param(&p, LUNATIC_PARAM_I64, a);
    param(&p, LUNATIC_PARAM_I64, b);
    spawn("adder", &p);
    if (receive_tag(TAG_SUM) != LUNATIC_MESSAGE_DATA) fail("request: unexpected message");
    int64_t sum = 0;
    if (lunatic_message_read_data(LUNATIC_PTR(&sum), sizeof sum) != sizeof sum)
      fail("request: short reply");
    if (sum != a + b) fail("request: wrong sum");
    total += sum;
    expected += a + b;
  }
  uint64_t t1 = now_ns();
  if (total != expected) fail("request: wrong total");
  printf("procs: mode=request n=%llu ns=%llu checked=%llu total=%lld\n", (unsigned long long)n,
         (unsigned long long)(t1 - t0), (unsigned long long)n, (long long)total);
  return 0;
}

static uint64_t arg(int argc, char** argv, int i) {
  if (i >= argc) fail("usage: procs.wasm spawn N | idle | yield P K | request N");
  char* end = 0;
  uint64_t v = strtoull(argv[i], &end, 10);
  if (!end || *end) fail("bad number");
  return v;
}

int main(int argc, char** argv) {
  if (argc < 2) fail("usage: procs.wasm spawn N | idle | yield P K | request N");
  const char* mode = argv[1];
  if (!strcmp(mode, "spawn")) return bench_spawn(arg(argc, argv, 2));
  if (!strcmp(mode, "idle")) return bench_idle();
  if (!strcmp(mode, "yield")) return bench_yield(arg(argc, argv, 2), arg(argc, argv, 3));
  if (!strcmp(mode, "request")) return bench_request(arg(argc, argv, 2));
  fail("unknown mode");
  return 1;
}
