// proc_stress.wasm: 100,000 short-lived processes and the messages between them, every end and
// every message accounted for.
//
// Main spawns 100 spawners. Each spawns 1,000 children in waves of 100, linked (tag = slot + 1)
// and monitored: of every ten children one traps, one calls proc_exit(0) and the rest take three
// data messages from their spawner and reply with their count and sum. A spawner (with
// die_when_link_dies(0)) sends each child of a wave its go and three messages, checks that each
// child's process-died message arrives exactly once, that exactly the trapping ones send a
// link-died message with their tag, and that every replying child got its three messages exactly
// once; then it sends one more message to each child of the wave, all dead by then (dropped).
// It reports its counts to main, which prints the totals:
//   spawners reported: 100
//   spawners ended: 100
//   children spawned: 100000
//   process-died messages: 100000
//   link-died messages: 10000
//   replies: 80000
//   mismatches: 0
//   elapsed ms: N
#include "proc_util.h"

#define SPAWNERS 100
#define CHILDREN 1000
#define WAVE 100
#define MESSAGES 3
#define REPORT_TAG 1200
#define DATA_TAG 1201
#define REPLY_TAG 1202

static int kind_of(int i) { return i % 10 == 3 ? 1 : i % 10 == 7 ? 2 : 0; }

// The value of message m to the child in slot j: distinct per child and message.
static int64_t value_of(int j, int m) { return (int64_t)j * 1000 + m + 1; }

EXPORT("short_child") void short_child(int64_t parent, int32_t kind, int32_t slot) {
  await_go();
  if (kind == 1) __builtin_trap();
  if (kind == 2) __wasi_proc_exit(0);
  int64_t count = 0, sum = 0;
  for (int m = 0; m < MESSAGES; ++m) {
    if (receive_tag(DATA_TAG, 30000) != LUNATIC_MESSAGE_DATA) break;
    int64_t v = 0;
    count += read_i64s(&v, 1);
    sum += v;
  }
  int64_t reply[3] = {slot, count, sum};
  send_i64s((uint64_t)parent, REPLY_TAG, reply, 3);
}

EXPORT("spawner") void spawner(int64_t parent, int32_t index) {
  await_go();
  lunatic_die_when_link_dies(0);
  const int64_t me = (int64_t)lunatic_process_id();
  static uint64_t pids[WAVE];
  static uint8_t died[WAVE], linked[WAVE], replied[WAVE];
  int64_t spawned = 0, died_msgs = 0, link_msgs = 0, replies = 0, mismatches = 0;
  for (int wave = 0; wave < CHILDREN / WAVE; ++wave) {
    int trapping = 0, replying = 0;
    for (int j = 0; j < WAVE; ++j) {
      int kind = kind_of(wave * WAVE + j);
      trapping += kind == 1;
      replying += kind == 0;
      params_t p = {0};
      param_i64(&p, me);
      param_i32(&p, kind);
      param_i32(&p, j);
      died[j] = linked[j] = replied[j] = 0;
      pids[j] = 0;
      if (spawn_fn(j + 1, -1, -1, "short_child", &p, &pids[j]) != 0) {
        ++mismatches;
        continue;
      }
      ++spawned;
      lunatic_monitor(pids[j]);
      send_go(pids[j]);
      // Sent to every child: the ones that trap or exit may be gone before these arrive.
      for (int m = 0; m < MESSAGES; ++m) {
        int64_t v = value_of(j, m);
        send_i64s(pids[j], DATA_TAG, &v, 1);
      }
    }
    for (int k = 0; k < WAVE + trapping + replying; ++k) {
      uint32_t r = receive_any(30000);
      if (r == LUNATIC_MESSAGE_PROCESS_DIED) {
        ++died_msgs;
        uint64_t pid = lunatic_message_get_process_id();
        int j = 0;
        while (j < WAVE && pids[j] != pid) ++j;
        if (j == WAVE || died[j]++) ++mismatches;
      } else if (r == LUNATIC_MESSAGE_LINK_DIED) {
        ++link_msgs;
        int64_t j = lunatic_message_get_tag() - 1;
        if (j < 0 || j >= WAVE || kind_of(wave * WAVE + (int)j) != 1 || linked[j]++) ++mismatches;
      } else if (r == LUNATIC_MESSAGE_DATA && lunatic_message_get_tag() == REPLY_TAG) {
        ++replies;
        int64_t v[3] = {-1, -1, -1};
        read_i64s(v, 3);
        int64_t j = v[0];
        int64_t sum = 0;
        for (int m = 0; m < MESSAGES; ++m) sum += value_of((int)j, m);
        if (j < 0 || j >= WAVE || kind_of(wave * WAVE + (int)j) != 0 || replied[j]++ ||
            v[1] != MESSAGES || v[2] != sum) {
          ++mismatches;
        }
      } else {
        ++mismatches;
        if (r == LUNATIC_TIMEOUT) break;
      }
    }
    for (int j = 0; j < WAVE; ++j) {
      int kind = kind_of(wave * WAVE + j);
      if (died[j] != 1 || linked[j] != (kind == 1) || replied[j] != (kind == 0)) ++mismatches;
      // The whole wave is dead: this message is dropped, not queued anywhere.
      int64_t v = 0;
      send_i64s(pids[j], DATA_TAG, &v, 1);
    }
  }
  int64_t v[6] = {index, spawned, died_msgs, link_msgs, replies, mismatches};
  send_i64s((uint64_t)parent, REPORT_TAG, v, 6);
}

int main(void) {
  uint64_t start = now_ns();
  params_t base = {0};
  param_i64(&base, (int64_t)lunatic_process_id());
  int64_t mismatches = 0;
  for (int32_t i = 0; i < SPAWNERS; ++i) {
    params_t p = base;
    param_i32(&p, i);
    uint64_t pid = spawn_or_report(0, "spawner", &p);
    if (pid == 0) {
      ++mismatches;
      continue;
    }
    lunatic_monitor(pid);
    send_go(pid);
  }
  int reported = 0, ended = 0;
  int64_t spawned = 0, died = 0, linked = 0, replies = 0;
  while (reported + ended < 2 * SPAWNERS) {
    uint32_t r = receive_any(60000);
    if (r == LUNATIC_MESSAGE_DATA && lunatic_message_get_tag() == REPORT_TAG) {
      int64_t v[6] = {0};
      if (read_i64s(v, 6) != 6) ++mismatches;
      ++reported;
      spawned += v[1];
      died += v[2];
      linked += v[3];
      replies += v[4];
      mismatches += v[5];
    } else if (r == LUNATIC_MESSAGE_PROCESS_DIED) {
      ++ended;
    } else {
      say("unexpected: %s", describe_received(r));
      ++mismatches;
      if (r == LUNATIC_TIMEOUT) break;
    }
  }
  say("spawners reported: %d", reported);
  say("spawners ended: %d", ended);
  say("children spawned: %lld", (long long)spawned);
  say("process-died messages: %lld", (long long)died);
  say("link-died messages: %lld", (long long)linked);
  say("replies: %lld", (long long)replies);
  say("mismatches: %lld", (long long)mismatches);
  say("elapsed ms: %llu", (unsigned long long)((now_ns() - start) / 1000000));
  return 0;
}
