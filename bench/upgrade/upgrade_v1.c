/* The "upgrade" benchmark, version 1 and the driver (bench/upgrade/upgrade.py runs it):
 *
 *   upgrade_v1.wasm <upgrade_v2.wasm> <bystander.wasm> <processes> <reference_ms> <spinners>
 *
 * main compiles version 2 (upgrade_v2.c) and the bystander's module (bystander.c, a module of
 * its own, so no upgrade touches it), spawns <processes> idle processes of this module, each
 * holding 1 KiB of state, and waits until each has filled it. Then three windows of the
 * bystander's 1 ms sleeps: <reference_ms> with nothing else going on (ref), <reference_ms> with
 * <spinners> processes computing and yielding (busy), and the lunatic_upgrade_module call that
 * moves every idle process to version 2 (up). Last, each process is asked to stop and its reply
 * checked: version 2, with the checksum of its own pattern. One line on stdout:
 *
 *   upgrade: mode=module n=... ns=... status=... moved=... failed=... timed_out=... checked=...
 *            <w>_ns=... <w>_wakeups=... <w>_max_ns=... <w>_sum_ns=...   (w: ref, busy, up)
 *
 * ns is the time lunatic_upgrade_module took; <w>_max_ns the bystander's latest wake-up. */
#include <stdio.h>
#include <stdlib.h>

#include "upgrade_bench.h"

#define REPLY_TIMEOUT_MS 60000
#define UPGRADE_TIMEOUT_MS 120000

static uint32_t state[STATE_WORDS];

EXPORT("lunatic_upgrade_save") int32_t upgrade_save(void) {
  return (int32_t)lunatic_upgrade_save_state(LUNATIC_PTR(V1_VERSION), sizeof V1_VERSION - 1,
                                             LUNATIC_PTR(state), sizeof state);
}

/* An idle process: fills its state, tells main, then waits in a receive of any message (a
 * message boundary, where an upgrade takes it). */
EXPORT("idle") void idle(int64_t parent, int64_t seed) {
  fill_state(state, (uint32_t)seed);
  send_u64s((uint64_t)parent, TAG_READY, 0, 0);
  for (;;) {
    if (lunatic_message_receive(0, 0, LUNATIC_NO_TIMEOUT) != LUNATIC_MESSAGE_DATA) continue;
    uint64_t reply_to = 0;
    if (lunatic_message_get_tag() != TAG_STOP || read_u64s(&reply_to, 1) != 1) continue;
    /* Still version 1: the upgrade missed this process. */
    uint64_t done[3] = {state[0], 0, 1};
    send_u64s(reply_to, TAG_DONE, done, 3);
    return;
  }
}

/* ---- main ---- */

static void fail(const char* what) {
  fprintf(stderr, "upgrade: %s\n", what);
  exit(1);
}

static const char* error_text(uint64_t error_id) {
  static char text[1024];
  uint32_t size = lunatic_error_string_size(error_id);
  if (size >= sizeof text) return "(error text too long)";
  lunatic_error_to_string(error_id, LUNATIC_PTR(text));
  text[size] = 0;
  return text;
}

static uint64_t compile_file(const char* path) {
  FILE* f = fopen(path, "rb");
  if (!f) fail("cannot open a module file (is its directory passed with --dir?)");
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t* bytes = malloc(size > 0 ? (size_t)size : 1);
  if (!bytes || size <= 0 || fread(bytes, 1, (size_t)size, f) != (size_t)size) {
    fail("cannot read a module file");
  }
  fclose(f);
  uint64_t id = 0;
  if (lunatic_compile_module(LUNATIC_PTR(bytes), (uint32_t)size, LUNATIC_PTR(&id)) != 0) {
    fprintf(stderr, "upgrade: cannot compile %s: %s\n", path, error_text(id));
    exit(1);
  }
  free(bytes);
  return id;
}

/* Spawn parameters: two i64 records of 17 bytes, [type, 16-byte little-endian value]. */
static uint64_t spawn2(int64_t module, const char* fn, uint64_t a, uint64_t b) {
  uint8_t params[2 * 17] = {0};
  uint64_t values[2] = {a, b};
  for (int p = 0; p < 2; p++) {
    params[p * 17] = LUNATIC_PARAM_I64;
    for (int i = 0; i < 8; i++) params[p * 17 + 1 + i] = (uint8_t)(values[p] >> (8 * i));
  }
  uint64_t id = 0;
  if (lunatic_spawn(0, -1, module, LUNATIC_PTR(fn), (uint32_t)strlen(fn), LUNATIC_PTR(params),
                    sizeof params, LUNATIC_PTR(&id)) != 0) {
    fprintf(stderr, "upgrade: spawn of %s failed: %s\n", fn, error_text(id));
    exit(1);
  }
  return id;
}

static void await_data(int64_t tag, const char* what) {
  uint32_t r = receive_tag(tag, REPLY_TIMEOUT_MS);
  if (r == LUNATIC_TIMEOUT) fail(what);
  if (r != LUNATIC_MESSAGE_DATA) fail("a process died");
}

/* A window of the bystander's 1 ms sleeps: its length, and the bystander's count of wake-ups
 * and the maximum and sum of their lateness. */
struct window {
  uint64_t ns, wakeups, max_ns, sum_ns;
};

/* Begins a window: returns once the bystander is in its sleeps. */
static uint64_t start_window(uint64_t bystander) {
  send_u64s(bystander, TAG_START, 0, 0);
  await_data(TAG_MEASURING, "the bystander did not start measuring");
  return now_ns();
}

static struct window end_window(uint64_t bystander, uint64_t started) {
  struct window w = {now_ns() - started, 0, 0, 0};
  send_u64s(bystander, TAG_END, 0, 0);
  await_data(TAG_LATENESS, "no lateness report from the bystander");
  if (read_u64s(&w.wakeups, 3) != 3) fail("a short lateness report");
  return w;
}

static void print_window(const char* name, const struct window* w) {
  printf(" %s_ns=%llu %s_wakeups=%llu %s_max_ns=%llu %s_sum_ns=%llu", name,
         (unsigned long long)w->ns, name, (unsigned long long)w->wakeups, name,
         (unsigned long long)w->max_ns, name, (unsigned long long)w->sum_ns);
}

int main(int argc, char** argv) {
  if (argc != 6) {
    fail("usage: upgrade_v1 <upgrade_v2.wasm> <bystander.wasm> <processes> <ref_ms> <spinners>");
  }
  uint64_t v2 = compile_file(argv[1]);
  uint64_t plain = compile_file(argv[2]);
  uint64_t n = strtoull(argv[3], 0, 10);
  uint64_t reference_ms = strtoull(argv[4], 0, 10);
  uint64_t spinners = strtoull(argv[5], 0, 10);
  uint64_t self = lunatic_process_id();

  uint64_t bystander = spawn2((int64_t)plain, "bystander", self, 0);
  uint64_t* pids = malloc((n + spinners + 1) * sizeof *pids); /* + 1: never 0 bytes */
  if (!pids) fail("out of memory for the pid table");
  for (uint64_t i = 0; i < n; i++) pids[i] = spawn2(-1, "idle", self, i);
  for (uint64_t i = 0; i < n; i++) await_data(TAG_READY, "an idle process never got ready");

  uint64_t started = start_window(bystander);
  lunatic_sleep_ms(reference_ms);
  struct window idle_window = end_window(bystander, started);

  /* The same with every worker kept busy by other processes, for the timers' own delay. */
  uint64_t* spinning = pids + n;
  for (uint64_t i = 0; i < spinners; i++) spinning[i] = spawn2((int64_t)plain, "spinner", 0, 0);
  started = start_window(bystander);
  lunatic_sleep_ms(reference_ms);
  struct window busy_window = end_window(bystander, started);
  for (uint64_t i = 0; i < spinners; i++) send_u64s(spinning[i], TAG_END, 0, 0);

  uint64_t result[6] = {0, 0, 0, 0, 0, UINT64_MAX};
  started = start_window(bystander);
  uint32_t status =
      lunatic_upgrade_module(UINT64_MAX, v2, 0, UPGRADE_TIMEOUT_MS, LUNATIC_PTR(result));
  uint64_t upgrade_ns = now_ns() - started;
  struct window upgrade_window = end_window(bystander, started);
  if (result[5] != UINT64_MAX) {
    fprintf(stderr, "upgrade: status %u, first failure: %s\n", status, error_text(result[5]));
  }

  uint64_t checked = 0;
  for (uint64_t i = 0; i < n; i++) send_u64s(pids[i], TAG_STOP, &self, 1);
  for (uint64_t i = 0; i < n; i++) {
    await_data(TAG_DONE, "an idle process never answered stop");
    uint64_t done[3] = {0, 0, 0};
    if (read_u64s(done, 3) != 3 || done[2] != 2 || done[0] >= n) continue;
    uint32_t expected[STATE_WORDS];
    fill_state(expected, (uint32_t)done[0]);
    if (done[1] == state_checksum(expected)) checked++;
  }

  printf(
      "upgrade: mode=module n=%llu ns=%llu status=%u moved=%llu failed=%llu timed_out=%llu "
      "checked=%llu",
      (unsigned long long)n, (unsigned long long)upgrade_ns, status, (unsigned long long)result[0],
      (unsigned long long)result[1], (unsigned long long)result[2], (unsigned long long)checked);
  print_window("ref", &idle_window);
  print_window("busy", &busy_window);
  print_window("up", &upgrade_window);
  printf("\n");
  return 0;
}
