// msg_messaging.wasm <mode>: lunatic::message as Lunatic 0.13 defines it.
//
//   data_api            create/write/seek/read/get_tag/data_size/get_process_id of one message
//   read_past_end       seek past the end, then read_data: traps
//   no_message FN       FN (write_data, read_data, seek_data, get_tag, get_process_id, data_size,
//                       send, push_module, take_module) with nothing in the scratch area: traps
//   after_send          write_data after send (send takes the message away): traps
//   signal_data_size    data_size of a process-died message: traps (it is not data)
//   bad_pointer FN      write_data, read_data or receive (tags) with a pointer out of bounds
//   order_one N         one sender, N messages: arrive in the order sent
//   order_many S N      S senders, N messages each: each sender's arrive in its order
//   selective N         N messages of tags 1, 2, 3 interleaved; tag 2 first, then tags 3 and 1
//   ended_peer          sends to a peer that has ended are dropped, before and after sends to a
//                       new peer (the runtime remembers the last receiver of each sender)
//                       together, each in the order sent
//   selective_load N    a child floods untagged messages while another sends N tagged ones one
//                       at a time; main takes the tagged ones as they come, then the flood, both
//                       in order
//   timeouts            receive with timeouts: 0, 100 ms, a non-matching message, an early end
//   tag_zero            a tagged receive never takes an untagged message (not even for tag 0)
//   modules WASM        push_module/take_module move a module (WASM compiled at run time) to
//                       another process, which spawns from it
#include <stdlib.h>

#include "proc_util.h"

#define FLOOD_TAG 0
#define SEQ_TAG 500
#define DONE_TAG 501
#define FLOODING_TAG 502
#define FLOOD_BEFORE_PACING 2048

static void ok(const char* what, int cond) { say("%s: %s", what, cond ? "yes" : "no"); }

static int data_api(void) {
  char text[16] = {0};
  lunatic_message_create_data(42, 0);
  say("write_data returns: %u", lunatic_message_write_data(LUNATIC_PTR("hello"), 5));
  say("write_data returns: %u", lunatic_message_write_data(LUNATIC_PTR(" world"), 6));
  say("data_size while building: %llu", (unsigned long long)lunatic_message_data_size());
  say("get_tag while building: %lld", (long long)lunatic_message_get_tag());
  lunatic_message_send(lunatic_process_id());
  uint32_t r = receive_any(1000);
  say("received: %s", describe_received(r));
  say("get_process_id of data: %llu", (unsigned long long)lunatic_message_get_process_id());
  uint32_t n = lunatic_message_read_data(LUNATIC_PTR(text), sizeof text - 1);
  say("read_data: %u \"%.*s\"", n, (int)n, text);
  say("read_data at the end: %u", lunatic_message_read_data(LUNATIC_PTR(text), sizeof text - 1));
  lunatic_message_seek_data(6);
  n = lunatic_message_read_data(LUNATIC_PTR(text), 3);
  say("after seek_data(6), read 3: %u \"%.*s\"", n, (int)n, text);
  n = lunatic_message_read_data(LUNATIC_PTR(text), sizeof text - 1);
  say("then the rest: %u \"%.*s\"", n, (int)n, text);
  lunatic_message_seek_data(11);
  say("after seek_data(11) (the end), read: %u", lunatic_message_read_data(LUNATIC_PTR(text), 4));
  // An empty message, created with a large capacity hint.
  lunatic_message_create_data(-5, 1u << 30);
  lunatic_message_send(lunatic_process_id());
  r = receive_any(1000);
  say("empty message: %s", describe_received(r));
  return 0;
}

static int read_past_end(void) {
  char buf[8];
  lunatic_message_create_data(1, 0);
  lunatic_message_write_data(LUNATIC_PTR("abc"), 3);
  lunatic_message_seek_data(4);
  say("sought past the end");
  lunatic_message_read_data(LUNATIC_PTR(buf), sizeof buf);
  say("read_data past the end returned");
  return 0;
}

static int no_message(const char* fn) {
  char buf[4];
  say("calling %s without a message", fn);
  if (!strcmp(fn, "write_data"))
    lunatic_message_write_data(LUNATIC_PTR(buf), 1);
  else if (!strcmp(fn, "read_data"))
    lunatic_message_read_data(LUNATIC_PTR(buf), 1);
  else if (!strcmp(fn, "seek_data"))
    lunatic_message_seek_data(0);
  else if (!strcmp(fn, "get_tag"))
    lunatic_message_get_tag();
  else if (!strcmp(fn, "get_process_id"))
    lunatic_message_get_process_id();
  else if (!strcmp(fn, "data_size"))
    lunatic_message_data_size();
  else if (!strcmp(fn, "send"))
    lunatic_message_send(lunatic_process_id());
  else if (!strcmp(fn, "push_module"))
    lunatic_message_push_module(0);
  else if (!strcmp(fn, "take_module"))
    lunatic_message_take_module(0);
  else
    return 2;
  say("%s returned", fn);
  return 0;
}

static int after_send(void) {
  lunatic_message_create_data(1, 0);
  lunatic_message_send(lunatic_process_id());
  say("sent");
  lunatic_message_write_data(LUNATIC_PTR("x"), 1);
  say("write_data after send returned");
  return 0;
}

static int signal_data_size(void) {
  uint64_t child = spawn_or_report(0, "child_normal", 0);
  if (child == 0) return 1;
  lunatic_monitor(child);
  send_go(child);
  uint32_t r = receive_any(10000);
  say("received: %s", r == LUNATIC_MESSAGE_PROCESS_DIED ? "process-died" : describe_received(r));
  lunatic_message_data_size();
  say("data_size of a signal returned");
  return 0;
}

static int bad_pointer(const char* fn) {
  lunatic_message_create_data(1, 0);
  lunatic_message_write_data(LUNATIC_PTR("abc"), 3);
  say("calling %s with a bad pointer", fn);
  if (!strcmp(fn, "write_data"))
    lunatic_message_write_data(BAD_PTR, 64);
  else if (!strcmp(fn, "read_data"))
    lunatic_message_read_data(BAD_PTR, 64);
  else if (!strcmp(fn, "receive"))
    lunatic_message_receive(BAD_PTR, 8, 0);
  else
    return 2;
  say("%s returned", fn);
  return 0;
}

// Sends `count` messages [sender, seq] tagged SEQ_TAG to `target`, then one DONE_TAG.
EXPORT("sequence_sender") void sequence_sender(int64_t target, int32_t sender, int32_t count) {
  await_go();
  for (int32_t i = 0; i < count; ++i) {
    int64_t v[2] = {sender, i};
    send_i64s((uint64_t)target, SEQ_TAG, v, 2);
  }
  send_i64s((uint64_t)target, DONE_TAG, 0, 0);
}

static int order(int senders, int count) {
  uint64_t* pids = calloc((size_t)senders, sizeof *pids);
  int32_t* next = calloc((size_t)senders, sizeof *next);
  for (int s = 0; s < senders; ++s) {
    params_t p = {0};
    param_i64(&p, (int64_t)lunatic_process_id());
    param_i32(&p, s);
    param_i32(&p, count);
    pids[s] = spawn_or_report(0, "sequence_sender", &p);
    if (pids[s] == 0) return 1;
  }
  for (int s = 0; s < senders; ++s) send_go(pids[s]);
  int done = 0;
  long long received = 0, out_of_order = 0, unexpected = 0;
  while (done < senders) {
    uint32_t r = receive_any(30000);
    if (r != LUNATIC_MESSAGE_DATA) {
      say("unexpected: %s", describe_received(r));
      ++unexpected;
      if (r == LUNATIC_TIMEOUT) break;
      continue;
    }
    if (lunatic_message_get_tag() == DONE_TAG) {
      ++done;
      continue;
    }
    int64_t v[2] = {-1, -1};
    if (read_i64s(v, 2) != 2 || v[0] < 0 || v[0] >= senders) {
      ++unexpected;
      continue;
    }
    ++received;
    if (v[1] != next[v[0]]) ++out_of_order;
    next[v[0]] = (int32_t)v[1] + 1;
  }
  int complete = 1;
  for (int s = 0; s < senders; ++s) complete &= next[s] == count;
  say("received: %lld of %lld", received, (long long)senders * count);
  say("out of order: %lld", out_of_order);
  say("unexpected: %lld", unexpected);
  ok("every sender's last message arrived", complete);
  return 0;
}

static int selective(int n) {
  uint64_t me = lunatic_process_id();
  for (int i = 0; i < n; ++i) {
    int64_t v = i;
    send_i64s(me, i % 3 + 1, &v, 1);
  }
  // Tag 2 first: every third message, in order.
  int64_t last = -1;
  int taken = 0, bad = 0;
  for (;;) {
    if (receive_tag(2, 0) != LUNATIC_MESSAGE_DATA) break;
    int64_t v = -1;
    read_i64s(&v, 1);
    bad += v % 3 != 1 || v <= last;
    last = v;
    ++taken;
  }
  say("tag 2 taken: %d, wrong or out of order: %d", taken, bad);
  // Then tags 3 and 1 together: the rest, in the order sent.
  int64_t tags[2] = {3, 1};
  last = -1, taken = 0, bad = 0;
  while (lunatic_message_receive(LUNATIC_PTR(tags), 2, 0) == LUNATIC_MESSAGE_DATA) {
    int64_t v = -1;
    read_i64s(&v, 1);
    bad += v % 3 == 1 || v <= last || lunatic_message_get_tag() != v % 3 + 1;
    last = v;
    ++taken;
  }
  say("tags 3 and 1 taken: %d, wrong or out of order: %d", taken, bad);
  say("left: %s", describe_received(receive_any(0)));
  return 0;
}

// Sends untagged messages [seq] to `target` until told to stop (any message), then a DONE_TAG
// message carrying the count. After the first FLOOD_BEFORE_PACING it says so (FLOODING_TAG), so
// the mailbox is surely flooded before the paced sends start, however the scheduler runs us.
EXPORT("flooder") void flooder(int64_t target) {
  int64_t seq = 0;
  for (;;) {
    send_i64s((uint64_t)target, FLOOD_TAG, &seq, 1);
    ++seq;
    if (seq == FLOOD_BEFORE_PACING) send_i64s((uint64_t)target, FLOODING_TAG, 0, 0);
    if (seq % 64 == 0 && receive_any(0) != LUNATIC_TIMEOUT) break;
  }
  send_i64s((uint64_t)target, DONE_TAG, &seq, 1);
}

// Sends `count` messages [seq] tagged SEQ_TAG to `target`, each after the previous one was
// acknowledged (so main takes each from a mailbox that the flood keeps filling).
EXPORT("paced_sender") void paced_sender(int64_t target, int32_t count) {
  for (int64_t i = 0; i < count; ++i) {
    send_i64s((uint64_t)target, SEQ_TAG, &i, 1);
    (void)receive_tag(SEQ_TAG, 30000);
  }
}

// Echoes `count` messages [v] back to `parent` as [v], then returns.
EXPORT("echo_n") void echo_n(int64_t parent, int32_t count) {
  for (int32_t i = 0; i < count; ++i) {
    if (receive_tag(SEQ_TAG, 30000) != LUNATIC_MESSAGE_DATA) return;
    int64_t v = -1;
    read_i64s(&v, 1);
    send_i64s((uint64_t)parent, SEQ_TAG, &v, 1);
  }
}

static void ask(const char* who, uint64_t pid, int64_t value) {
  send_i64s(pid, SEQ_TAG, &value, 1);
  int64_t back = -1;
  if (receive_tag(SEQ_TAG, 5000) == LUNATIC_MESSAGE_DATA) read_i64s(&back, 1);
  say("%s answers %lld with %lld", who, (long long)value, (long long)back);
}

static int ended_peer(void) {
  params_t one = {0};
  param_i64(&one, (int64_t)lunatic_process_id());
  params_t two = one;
  param_i32(&one, 1);
  param_i32(&two, 2);
  uint64_t a = spawn_or_report(0, "echo_n", &one);
  if (a == 0) return 1;
  lunatic_monitor(a);
  ask("a", a, 1);
  say("a ended: %s", await_death(a, 5000) ? "yes" : "no");
  int64_t v = 2;
  send_i64s(a, SEQ_TAG, &v, 1);
  uint64_t b = spawn_or_report(0, "echo_n", &two);
  if (b == 0) return 1;
  ask("b", b, 3);
  v = 4;
  send_i64s(a, SEQ_TAG, &v, 1);
  ask("b", b, 5);
  say("then: %s", describe_received(receive_any(200)));
  return 0;
}

static int selective_load(int n) {
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t flood = spawn_or_report(0, "flooder", &p);
  if (flood == 0) return 1;
  if (receive_tag(FLOODING_TAG, 30000) != LUNATIC_MESSAGE_DATA) {
    say("the flooder never reported its first %d messages", FLOOD_BEFORE_PACING);
    return 1;
  }
  params_t q = p;
  param_i32(&q, n);
  uint64_t paced = spawn_or_report(0, "paced_sender", &q);
  if (paced == 0) return 1;
  int bad = 0, taken = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (receive_tag(SEQ_TAG, 30000) != LUNATIC_MESSAGE_DATA) break;
    int64_t v = -1;
    read_i64s(&v, 1);
    bad += v != i;
    ++taken;
    send_i64s(paced, SEQ_TAG, 0, 0);
  }
  send_go(flood);
  say("tagged taken in order: %d of %d, wrong: %d", taken, n, bad);
  // The flood, untouched by the tagged receives: 0, 1, 2, ... up to the count it reports.
  int64_t expected = 0, flood_bad = 0, flood_count = -1;
  for (;;) {
    uint32_t r = receive_any(30000);
    if (r != LUNATIC_MESSAGE_DATA) break;
    int64_t v = -1;
    read_i64s(&v, 1);
    if (lunatic_message_get_tag() == DONE_TAG) {
      flood_count = v;
      break;
    }
    flood_bad += v != expected;
    expected = v + 1;
  }
  ok("the flood was large (more than 1000 messages)", flood_count > 1000);
  say("flood in order and complete: %s", flood_count == expected && flood_bad == 0 ? "yes" : "no");
  return 0;
}

EXPORT("send_later") void send_later(int64_t target, int64_t delay_ms, int64_t tag) {
  lunatic_sleep_ms((uint64_t)delay_ms);
  send_i64s((uint64_t)target, tag, 0, 0);
}

static int timeouts(void) {
  uint64_t t0 = now_ns();
  uint32_t r = receive_any(0);
  say("timeout 0 on an empty mailbox: %s, within 50 ms: %s", describe_received(r),
      now_ns() - t0 < 50000000ull ? "yes" : "no");
  t0 = now_ns();
  r = receive_any(100);
  uint64_t waited = now_ns() - t0;
  say("timeout 100 ms: %s, waited at least 100 ms: %s, under 2 s: %s", describe_received(r),
      waited >= 100000000ull ? "yes" : "no", waited < 2000000000ull ? "yes" : "no");
  send_i64s(lunatic_process_id(), 6, 0, 0);
  t0 = now_ns();
  r = receive_tag(5, 100);
  say("tag 5 with only tag 6 queued: %s, waited at least 100 ms: %s", describe_received(r),
      now_ns() - t0 >= 100000000ull ? "yes" : "no");
  say("tag 6 still there: %s", describe_received(receive_tag(6, 0)));
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  param_i64(&p, 50);
  param_i64(&p, 7);
  if (spawn_or_report(0, "send_later", &p) == 0) return 1;
  t0 = now_ns();
  r = receive_tag(7, 10000);
  waited = now_ns() - t0;
  say("a 10 s wait for a message sent after 50 ms: %s, ended within 2 s: %s", describe_received(r),
      waited < 2000000000ull ? "yes" : "no");
  return 0;
}

static int tag_zero(void) {
  send_i64s(lunatic_process_id(), 0, 0, 0);
  say("receive tag 0: %s", describe_received(receive_tag(0, 50)));
  say("receive tag 9: %s", describe_received(receive_tag(9, 50)));
  say("receive any: %s", describe_received(receive_any(0)));
  return 0;
}

// Takes the module out of the message it waits for, spawns from it with this process's config
// (-1), and tells the parent what spawn returned.
EXPORT("module_taker") void module_taker(int64_t parent) {
  (void)receive_any(10000);
  uint64_t index = 0;
  lunatic_message_read_data(LUNATIC_PTR(&index), 8);
  uint64_t module = lunatic_message_take_module(index);
  uint64_t id = 0;
  uint32_t r = spawn_fn(0, -1, (int64_t)module, "child_return_now", 0, &id);
  int64_t v[1] = {r};
  send_i64s((uint64_t)parent, 11, v, 1);
}

static int modules(const char* path) {
  // This module's own bytes, compiled again: a module resource that is not the caller's own.
  static uint8_t wasm[1 << 20];
  uint32_t len = read_file(path, wasm, sizeof wasm);
  if (len == 0) {
    say("cannot read %s", path);
    return 1;
  }
  uint64_t module = 0;
  if (lunatic_compile_module(LUNATIC_PTR(wasm), len, LUNATIC_PTR(&module)) != 0) {
    say("compile_module failed: %s", error_text(module));
    return 1;
  }
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t taker = spawn_or_report(0, "module_taker", &p);
  if (taker == 0) return 1;
  lunatic_message_create_data(0, 8);
  uint64_t index = lunatic_message_push_module(module);
  lunatic_message_write_data(LUNATIC_PTR(&index), 8);
  say("push_module index: %llu", (unsigned long long)index);
  lunatic_message_send(taker);
  uint32_t r = receive_tag(11, 10000);
  int64_t v[1] = {-1};
  if (r == LUNATIC_MESSAGE_DATA) read_i64s(v, 1);
  say("the taker spawned from the module it took: %s", v[0] == 0 ? "yes" : "no");
  // The sender still has its module: spawning from it works.
  uint64_t id = 0;
  say("the sender still spawns from its module: %s",
      spawn_fn(0, -1, (int64_t)module, "child_return_now", 0, &id) == 0 ? "yes" : "no");
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* mode = argv[1];
  int a = argc > 2 ? atoi(argv[2]) : 0;
  int b = argc > 3 ? atoi(argv[3]) : 0;
  if (!strcmp(mode, "data_api")) return data_api();
  if (!strcmp(mode, "read_past_end")) return read_past_end();
  if (!strcmp(mode, "no_message") && argc > 2) return no_message(argv[2]);
  if (!strcmp(mode, "after_send")) return after_send();
  if (!strcmp(mode, "signal_data_size")) return signal_data_size();
  if (!strcmp(mode, "bad_pointer") && argc > 2) return bad_pointer(argv[2]);
  if (!strcmp(mode, "order_one")) return order(1, a);
  if (!strcmp(mode, "order_many")) return order(a, b);
  if (!strcmp(mode, "selective")) return selective(a);
  if (!strcmp(mode, "selective_load")) return selective_load(a);
  if (!strcmp(mode, "ended_peer")) return ended_peer();
  if (!strcmp(mode, "timeouts")) return timeouts();
  if (!strcmp(mode, "tag_zero")) return tag_zero();
  if (!strcmp(mode, "modules") && argc > 2) return modules(argv[2]);
  return 2;
}
