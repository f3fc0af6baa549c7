// The messages benchmark guest: lunatic::message and lunatic::process called directly.
//
//   msgs.wasm pingpong N BYTES  N round trips of a BYTES-byte message between main and one echo
//                               process
//   msgs.wasm ring P LAPS       a token passed round a ring of P processes LAPS times
//   msgs.wasm skynet N          N leaves in a tree of tens (each process spawns ten children down
//                               to single leaves, which send their number; parents send the sum up)
//
// Each prints one line `msgs: mode=<mode> n=<N> ns=<time of the measured part> checked=<...>`
// with what the runner checks: the round trips or hops that came back right, or the skynet sum.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lunatic/abi.h"

#define EXPORT(name) __attribute__((export_name(name), used))

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void send_bytes(uint64_t to, int64_t tag, const void* data, uint32_t len) {
  lunatic_message_create_data(tag, len);
  if (len > 0) lunatic_message_write_data(LUNATIC_PTR(data), len);
  lunatic_message_send(to);
}

static void send_i64(uint64_t to, int64_t value) { send_bytes(to, 0, &value, 8); }

static int64_t receive_i64(void) {
  int64_t value = -1;
  if (lunatic_message_receive(0, 0, LUNATIC_NO_TIMEOUT) == LUNATIC_MESSAGE_DATA) {
    lunatic_message_read_data(LUNATIC_PTR(&value), 8);
  }
  return value;
}

// 17-byte spawn parameter records: [0x7E (i64), 16-byte little-endian value].
static uint32_t put_i64(uint8_t* at, int64_t value) {
  at[0] = LUNATIC_PARAM_I64;
  for (int i = 0; i < 16; ++i)
    at[1 + i] = i < 8 ? (uint8_t)((uint64_t)value >> (8 * i)) : (value < 0 ? 0xFF : 0);
  return 17;
}

static uint64_t spawn3(const char* fn, int64_t a, int64_t b, int64_t c, int nparams) {
  uint8_t params[3 * 17];
  uint32_t len = put_i64(params, a);
  if (nparams > 1) len += put_i64(params + len, b);
  if (nparams > 2) len += put_i64(params + len, c);
  uint64_t id = 0;
  if (lunatic_spawn(0, -1, -1, LUNATIC_PTR(fn), (uint32_t)strlen(fn), LUNATIC_PTR(params), len,
                    LUNATIC_PTR(&id)) != 0) {
    fprintf(stderr, "msgs: spawn %s failed\n", fn);
    exit(1);
  }
  return id;
}

// Echoes every message back to `parent` until an empty one arrives.
EXPORT("echo") void echo(int64_t parent) {
  static uint8_t buf[1 << 16];
  for (;;) {
    if (lunatic_message_receive(0, 0, LUNATIC_NO_TIMEOUT) != LUNATIC_MESSAGE_DATA) return;
    uint32_t n = (uint32_t)lunatic_message_data_size();
    if (n == 0) return;
    lunatic_message_read_data(LUNATIC_PTR(buf), n);
    send_bytes((uint64_t)parent, 0, buf, n);
  }
}

static int pingpong(int64_t n, uint32_t bytes) {
  static uint8_t out[1 << 16], in[1 << 16];
  if (bytes < 8 || bytes > sizeof out) return 2;
  uint64_t peer = spawn3("echo", (int64_t)lunatic_process_id(), 0, 0, 1);
  int64_t checked = 0;
  uint64_t start = now_ns();
  for (int64_t i = 0; i < n; ++i) {
    memcpy(out, &i, 8);
    send_bytes(peer, 0, out, bytes);
    if (lunatic_message_receive(0, 0, LUNATIC_NO_TIMEOUT) != LUNATIC_MESSAGE_DATA) break;
    int64_t back = -1;
    if (lunatic_message_read_data(LUNATIC_PTR(in), bytes) == bytes) memcpy(&back, in, 8);
    checked += back == i;
  }
  uint64_t ns = now_ns() - start;
  send_bytes(peer, 0, 0, 0);
  printf("msgs: mode=pingpong n=%lld ns=%llu checked=%lld bytes=%u\n", (long long)n,
         (unsigned long long)ns, (long long)checked, bytes);
  return 0;
}

// A ring member: learns its successor from its first message, then passes every token on
// (decremented by nobody: main counts the laps) until it passes a negative one.
EXPORT("ring_member") void ring_member(int64_t unused) {
  (void)unused;
  uint64_t next = (uint64_t)receive_i64();
  for (;;) {
    int64_t token = receive_i64();
    send_i64(next, token);
    if (token < 0) return;
  }
}

static int ring(int64_t members, int64_t laps) {
  if (members < 2) return 2;
  uint64_t* pids = malloc((size_t)members * sizeof *pids);
  pids[0] = lunatic_process_id();
  for (int64_t i = 1; i < members; ++i) pids[i] = spawn3("ring_member", 0, 0, 0, 1);
  for (int64_t i = 1; i < members; ++i) send_i64(pids[i], (int64_t)pids[(i + 1) % members]);
  int64_t checked = 0;
  uint64_t start = now_ns();
  for (int64_t lap = 0; lap < laps; ++lap) {
    send_i64(pids[1], lap);
    checked += receive_i64() == lap;  // back after members hops
  }
  uint64_t ns = now_ns() - start;
  send_i64(pids[1], -1);
  (void)receive_i64();
  printf("msgs: mode=ring n=%lld ns=%llu checked=%lld laps=%lld\n", (long long)members,
         (unsigned long long)ns, (long long)checked, (long long)laps);
  return 0;
}

EXPORT("skynet") void skynet(int64_t parent, int64_t number, int64_t size) {
  if (size == 1) {
    send_i64((uint64_t)parent, number);
    return;
  }
  const int64_t self = (int64_t)lunatic_process_id(), part = size / 10;
  for (int64_t i = 0; i < 10; ++i) spawn3("skynet", self, number + i * part, part, 3);
  int64_t sum = 0;
  for (int i = 0; i < 10; ++i) sum += receive_i64();
  send_i64((uint64_t)parent, sum);
}

static int skynet_root(int64_t leaves) {
  uint64_t start = now_ns();
  spawn3("skynet", (int64_t)lunatic_process_id(), 0, leaves, 3);
  int64_t sum = receive_i64();
  uint64_t ns = now_ns() - start;
  printf("msgs: mode=skynet n=%lld ns=%llu checked=%lld\n", (long long)leaves,
         (unsigned long long)ns, (long long)sum);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 3) return 2;
  const char* mode = argv[1];
  int64_t a = atoll(argv[2]), b = argc > 3 ? atoll(argv[3]) : 0;
  if (!strcmp(mode, "pingpong")) return pingpong(a, (uint32_t)(b ? b : 8));
  if (!strcmp(mode, "ring")) return ring(a, b);
  if (!strcmp(mode, "skynet")) return skynet_root(a);
  return 2;
}
