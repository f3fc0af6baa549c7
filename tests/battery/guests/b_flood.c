/* b_flood.wasm <mode>: floods of messages, output, trap reasons, spawn parameters, links and
 * monitors.
 *
 *   mailbox_unbounded  a sender floods a process that never reads (run with --max-memory):
 *                      the sender must be refused (a trap at create_data/write_data), the
 *                      runtime's memory must stay bounded, and the flood must go when the
 *                      receiver is killed
 *   mailbox_limited    a receiver with max_mailbox_messages 1000 (then max_mailbox_bytes 64 KiB)
 *                      is flooded: send returns 2 past the limit, distributed::send 3,
 *                      send_receive_skip_search 2, and a link-died signal still gets through
 *   send_self          a process floods its own mailbox, then does tagged receives over it
 *                      (`tagged_scan_ms`), then floods on until the memory limit refuses it
 *   timer_flood        pending send_after messages of 1 KiB until the memory limit refuses
 *   stderr_flood       writes 64 MiB to stderr and 64 MiB to stdout
 *   trap_reasons       failures with huge reasons: a 100 KiB preopen path, a 100 KiB function
 *                      name, a compiled module whose 1 MiB function name is in its name section,
 *                      a compile error about a 1 MiB import name (`error_size=N`)
 *   spawn_params       spawn with 1001 records, 1,000,000 records, a length not a multiple of
 *                      17, a v128 record, a bad type, a name that is not UTF-8, 1000 records to
 *                      a function without parameters
 *   link_storm         2,000 linked children trap at once; link/unlink and monitor /
 *                      stop_monitoring 200,000 times; 100,000 monitors of one process
 *   cap_hint           no preopen; the guest says "Capabilities insufficient" 10,000 times:
 *                      the runtime's hint about --dir must come once */
#include "battery.h"

/* ---- mailbox_unbounded ---- */

EXPORT("flooder") void flooder(int64_t parent, int64_t target) {
  static uint8_t payload[200];
  for (int64_t i = 1;; ++i) {
    lunatic_message_create_data(0x51, sizeof payload);
    lunatic_message_write_data(LUNATIC_PTR(payload), sizeof payload);
    (void)lunatic_message_send((uint64_t)target);
    if (i % 100000 == 0) send_value((uint64_t)parent, TAG_HELLO, i);
    if (i >= 5000000) {
      send_value((uint64_t)parent, TAG_RESULT, i);
      return;
    }
  }
}

static int mailbox_unbounded(void) {
  uint64_t by = bystander_start();
  uint64_t receiver = spawn_or_say(0, "idle", 0);
  lunatic_monitor(receiver);
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  param_i64(&p, (int64_t)receiver);
  uint64_t sender = 0;
  if (spawn_fn(0, -1, -1, "flooder", &p, &sender) != 0) return 1;
  lunatic_monitor(sender);
  int64_t sent = 0;
  const uint64_t start = now_ns();
  for (;;) {
    if (seen_dead(sender)) break;
    uint32_t r = receive_any(20000);
    if (r == LUNATIC_TIMEOUT) break;
    if (r == LUNATIC_MESSAGE_DATA) {
      int64_t v = 0;
      lunatic_message_read_data(LUNATIC_PTR(&v), 8);
      if (v > sent) sent = v;
      if (lunatic_message_get_tag() == TAG_RESULT) {
        say("flood sender finished 5,000,000 sends unrefused");
        break;
      }
    } else {
      note_signal(r);
    }
  }
  say("flood sender stopped after sent>=%lld ms=%llu (%s)", (long long)sent,
      (unsigned long long)ms_since(start), seen_dead(sender) ? "it died" : "alive");
  kill_and_time(receiver, "flooded receiver");
  /* The flood is gone with it: main and a new process can make messages again. */
  uint64_t fresh = spawn_or_say(0, "idle", 0);
  say("spawn after the flood: %s", fresh ? "ok" : "FAILED");
  bystander_stop(by);
  return 0;
}

/* ---- mailbox_limited ---- */

/* Links to a child that traps after 300 ms, sleeps 1 s while its mailbox fills, then counts
 * data messages and link-died signals. */
EXPORT("slow_receiver") void slow_receiver(int64_t parent) {
  lunatic_die_when_link_dies(0);
  uint64_t doomed = 0;
  (void)spawn_fn(9, -1, -1, "trap_later", 0, &doomed);
  lunatic_sleep_ms(1000);
  int64_t data = 0, links = 0;
  for (;;) {
    uint32_t r = receive_any(0);
    if (r == LUNATIC_MESSAGE_DATA)
      ++data;
    else if (r == LUNATIC_MESSAGE_LINK_DIED)
      ++links;
    else if (r == LUNATIC_TIMEOUT)
      break;
  }
  int64_t out[2] = {data, links};
  lunatic_message_create_data(TAG_RESULT, sizeof out);
  lunatic_message_write_data(LUNATIC_PTR(out), sizeof out);
  (void)lunatic_message_send((uint64_t)parent);
}

EXPORT("trap_later") void trap_later(void) {
  lunatic_sleep_ms(300);
  __builtin_trap();
}

static void limited_run(uint64_t max_messages, uint64_t max_bytes, uint32_t messages,
                        uint32_t size) {
  uint64_t config = (uint64_t)lunatic_create_config();
  lunatic_config_set_can_spawn_processes(config, 1);
  if (max_messages) lunatic_config_set_max_mailbox_messages(config, max_messages);
  if (max_bytes) lunatic_config_set_max_mailbox_bytes(config, max_bytes);
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t receiver = 0;
  if (spawn_fn(0, (int64_t)config, -1, "slow_receiver", &p, &receiver) != 0) {
    say("spawn failed: %s", error_text(receiver));
    return;
  }
  static uint8_t payload[1024];
  uint32_t delivered = 0, refused = 0, other = 0;
  for (uint32_t i = 0; i < messages; ++i) {
    lunatic_message_create_data(0x51, size);
    if (size) lunatic_message_write_data(LUNATIC_PTR(payload), size);
    uint32_t r = lunatic_message_send(receiver);
    if (r == 0)
      ++delivered;
    else if (r == 2)
      ++refused;
    else
      ++other;
  }
  lunatic_message_create_data(0x51, 8);
  lunatic_message_write_data(LUNATIC_PTR(payload), 8);
  uint32_t d = lunatic_distributed_send(0, receiver);
  lunatic_message_create_data(0x51, 8);
  lunatic_message_write_data(LUNATIC_PTR(payload), 8);
  uint32_t srs = lunatic_message_send_receive_skip_search(receiver, 0x52, 1000);
  say("limit messages=%llu bytes=%llu: delivered=%u refused=%u other=%u distributed_send=%u "
      "send_receive_skip_search=%u",
      (unsigned long long)max_messages, (unsigned long long)max_bytes, delivered, refused, other, d,
      srs);
  if (receive_tag(TAG_RESULT, 10000) == LUNATIC_MESSAGE_DATA) {
    int64_t out[2] = {-1, -1};
    lunatic_message_read_data(LUNATIC_PTR(out), sizeof out);
    say("the receiver found data=%lld link_died=%lld", (long long)out[0], (long long)out[1]);
  } else {
    say("the receiver never reported");
  }
}

static int mailbox_limited(void) {
  uint64_t by = bystander_start();
  limited_run(1000, 0, 200000, 8);
  limited_run(0, 65536, 2000, 1000);
  bystander_stop(by);
  return 0;
}

/* ---- send_self ---- */

EXPORT("self_flooder") void self_flooder(int64_t parent) {
  const uint64_t self = lunatic_process_id();
  static uint8_t payload[16];
  for (int i = 0; i < 200000; ++i) {
    lunatic_message_create_data(0, sizeof payload);
    lunatic_message_write_data(LUNATIC_PTR(payload), sizeof payload);
    (void)lunatic_message_send(self);
  }
  const uint64_t start = now_ns();
  for (int i = 0; i < 10000; ++i) (void)receive_tag(0x999, 0);
  send_value((uint64_t)parent, TAG_RESULT, (int64_t)ms_since(start));
  for (;;) {
    lunatic_message_create_data(0, sizeof payload);
    lunatic_message_write_data(LUNATIC_PTR(payload), sizeof payload);
    (void)lunatic_message_send(self);
  }
}

static int send_self(void) {
  uint64_t by = bystander_start();
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t pid = 0;
  if (spawn_fn(0, -1, -1, "self_flooder", &p, &pid) != 0) return 1;
  lunatic_monitor(pid);
  int64_t scan = receive_value(TAG_RESULT, 30000, -1);
  say("tagged_scan_ms=%lld (10,000 tagged receives over 200,000 untagged messages)",
      (long long)scan);
  const uint64_t start = now_ns();
  int64_t waited = await_death(pid, 30000);
  say("self flooder: %s ms=%llu", waited >= 0 ? "refused (died)" : "STILL ALIVE",
      (unsigned long long)ms_since(start));
  if (waited < 0) kill_and_time(pid, "self flooder");
  bystander_stop(by);
  return 0;
}

/* ---- timer_flood ---- */

/* Pending send_after messages of 1 KiB, an hour away, until the memory limit refuses. */
EXPORT("timer_flooder") void timer_flooder(int64_t parent) {
  static uint8_t payload[1024];
  for (int64_t i = 1;; ++i) {
    lunatic_message_create_data(0x61, sizeof payload);
    lunatic_message_write_data(LUNATIC_PTR(payload), sizeof payload);
    (void)lunatic_send_after((uint64_t)parent, 3600000);
    if (i % 10000 == 0) send_value((uint64_t)parent, TAG_HELLO, i);
  }
}

static int timer_flood(void) {
  uint64_t by = bystander_start();
  uint64_t pid = spawn_with_parent(0, "timer_flooder");
  if (!pid) return 1;
  lunatic_monitor(pid);
  int64_t pending = 0;
  const uint64_t start = now_ns();
  while (!seen_dead(pid) && ms_since(start) < 20000) {
    uint32_t r = receive_any(20000);
    if (r == LUNATIC_MESSAGE_DATA && lunatic_message_get_tag() == TAG_HELLO) {
      lunatic_message_read_data(LUNATIC_PTR(&pending), 8);
    } else {
      note_signal(r);
    }
  }
  say("timer flooder: %s with pending>=%lld ms=%llu",
      seen_dead(pid) ? "refused (died)" : "STILL ALIVE", (long long)pending,
      (unsigned long long)ms_since(start));
  if (!seen_dead(pid)) lunatic_kill(pid);
  bystander_stop(by);
  return 0;
}

/* ---- stderr_flood ---- */

static int stderr_flood(void) {
  const uint32_t chunk = 1u << 20;
  uint8_t* buf = malloc(chunk);
  if (!buf) return 1;
  memset(buf, 'e', chunk);
  for (uint32_t i = 0; i < chunk; i += 128) buf[i] = '\n';
  uint64_t written_err = 0, written_out = 0;
  for (int i = 0; i < 64; ++i) {
    for (int fd = 1; fd <= 2; ++fd) {
      uint32_t done = 0;
      while (done < chunk) { /* a pipe takes a short write, as POSIX allows */
        __wasi_ciovec_t iov = {buf + done, chunk - done};
        size_t n = 0;
        if (__wasi_fd_write(fd, &iov, 1, &n) != 0 || n == 0) break;
        done += (uint32_t)n;
      }
      if (fd == 1)
        written_out += done;
      else
        written_err += done;
    }
  }
  say("\nstderr_flood wrote err=%llu out=%llu", (unsigned long long)written_err,
      (unsigned long long)written_out);
  return 0;
}

/* ---- trap_reasons ---- */

EXPORT("long_preopen") void long_preopen(void) {
  const uint32_t n = 100u << 10;
  char* path = malloc(n + 1);
  memset(path, 'p', n);
  memcpy(path, "box/", 4);
  path[n] = 0;
  uint64_t config = (uint64_t)lunatic_create_config();
  lunatic_config_preopen_dir(config, LUNATIC_PTR(path), n);
}

EXPORT("long_function_name") void long_function_name(void) {
  const uint32_t n = 100u << 10;
  char* name = malloc(n + 1);
  memset(name, 'f', n);
  name[n] = 0;
  uint64_t id = 0;
  /* The child fails (no such export); link so this process fails with it. */
  (void)lunatic_spawn(1, -1, -1, LUNATIC_PTR(name), n, 0, 0, LUNATIC_PTR(&id));
  (void)receive_tag(0x7777, 5000);
}

/* A module whose function 0 is named by a name section with a 1 MiB name, and traps. */
static wbuf_t named_trap_module(uint32_t name_len) {
  wbuf_t body = {0};
  wb_byte(&body, 0x00);
  wb_byte(&body, 0x00); /* unreachable */
  wb_byte(&body, 0x0B);
  wbuf_t m = module_one(&body, -1, -1, -1);
  wb_free(&body);
  wbuf_t sub = {0}, sec = {0};
  wb_uleb(&sub, 1); /* one name */
  wb_uleb(&sub, 0); /* function 0 */
  wb_uleb(&sub, name_len);
  wb_reserve(&sub, name_len);
  if (!sub.failed) {
    memset(sub.p + sub.len, 'N', name_len);
    sub.len += name_len;
  }
  wb_uleb(&sec, 4);
  wb_bytes(&sec, "name", 4);
  wb_byte(&sec, 1); /* function names */
  wb_uleb(&sec, sub.len);
  wb_bytes(&sec, sub.p, sub.len);
  wb_section(&m, 0, &sec);
  if (sub.failed || sec.failed) m.failed = 1;
  wb_free(&sub);
  wb_free(&sec);
  return m;
}

/* A module importing a function with a 1 MiB name that the host does not have. */
static wbuf_t missing_import_module(uint32_t name_len) {
  wbuf_t m = {0}, s = {0};
  wb_header(&m);
  static const uint8_t types[] = {0x01, 0x60, 0x00, 0x00};
  wb_bytes(&s, types, sizeof types);
  wb_section(&m, 1, &s);
  s.len = 0;
  wb_uleb(&s, 1);
  wb_uleb(&s, 3);
  wb_bytes(&s, "env", 3);
  wb_uleb(&s, name_len);
  wb_reserve(&s, name_len);
  if (!s.failed) {
    memset(s.p + s.len, 'I', name_len);
    s.len += name_len;
  }
  wb_byte(&s, 0x00);
  wb_uleb(&s, 0);
  wb_section(&m, 2, &s);
  if (s.failed) m.failed = 1;
  wb_free(&s);
  return m;
}

static int trap_reasons(void) {
  lunatic_die_when_link_dies(0);
  uint64_t id = 0;
  if (spawn_fn(61, -1, -1, "long_preopen", 0, &id) == 0) {
    say("long preopen path: %s", link_died(61, 10000) ? "failed" : "no failure seen");
  }
  if (spawn_fn(62, -1, -1, "long_function_name", 0, &id) == 0) {
    say("long function name: %s", link_died(62, 10000) ? "failed" : "no failure seen");
  }
  wbuf_t m = named_trap_module(1u << 20);
  uint64_t mod = 0;
  int32_t r = compile_buf(&m, &mod);
  wb_free(&m);
  if (r == 0) {
    if (spawn_fn(63, -1, (int64_t)mod, "f", 0, &id) == 0) {
      say("1 MiB function name trap: %s", link_died(63, 10000) ? "failed" : "no failure seen");
    } else {
      say("1 MiB function name: spawn failed: %s", error_text(id));
    }
  } else {
    say("1 MiB function name module: compile %s", compile_outcome(r, mod));
  }
  m = missing_import_module(1u << 20);
  r = compile_buf(&m, &mod);
  wb_free(&m);
  if (r == 1) {
    uint32_t size = lunatic_error_string_size(mod);
    char* text = malloc(size + 1);
    lunatic_error_to_string(mod, LUNATIC_PTR(text));
    text[size] = 0;
    const char* tail = size > 60 ? text + size - 60 : text;
    say("missing 1 MiB import: error_size=%u ends with: %s", size, tail);
    lunatic_error_drop(mod);
  } else {
    say("missing 1 MiB import: compile returned %d", r);
  }
  /* A guest's own trap after a long stderr line is the guest's output, not the runtime's. */
  say("trap_reasons done");
  return 0;
}

/* ---- spawn_params ---- */

static uint8_t* g_records;
static uint32_t g_records_len;

static void make_records(uint32_t count, uint8_t type) {
  free(g_records);
  g_records = malloc((size_t)count * 17 + 32);
  g_records_len = count * 17;
  for (uint32_t i = 0; i < count; ++i) {
    g_records[i * 17] = type;
    memset(g_records + i * 17 + 1, 0, 16);
  }
}

EXPORT("params_case") void params_case(int32_t k) {
  uint64_t id = 0;
  const char* fn = "return_now";
  uint32_t fn_len = (uint32_t)strlen(fn);
  static const char bad_utf8[] = "ret\xff\xfeurn";
  switch (k) {
    case 0:
      make_records(1001, LUNATIC_PARAM_I32);
      break;
    case 1:
      make_records(1000000, LUNATIC_PARAM_I64);
      break;
    case 2:
      make_records(1, LUNATIC_PARAM_I32);
      g_records_len = 18;
      break;
    case 3:
      make_records(1, LUNATIC_PARAM_V128);
      break;
    case 4:
      make_records(1, 0x42);
      break;
    case 5:
      make_records(0, 0);
      fn = bad_utf8;
      fn_len = sizeof bad_utf8 - 1;
      break;
    case 6:
      make_records(1000, LUNATIC_PARAM_I64);
      break;
    case 7:
      make_records(0, 0);
      g_records_len = 0xFFFFFFF0u;
      break; /* out of bounds */
  }
  lunatic_die_when_link_dies(0);
  uint32_t r = lunatic_spawn(5, -1, -1, LUNATIC_PTR(fn), fn_len, LUNATIC_PTR(g_records),
                             g_records_len, LUNATIC_PTR(&id));
  say("params case %d: spawn returned %u", k, r);
  if (r == 0) {
    say("params case %d: the child %s", k, link_died(5, 5000) ? "failed" : "did not fail");
  }
}

static int spawn_params(void) {
  lunatic_die_when_link_dies(0);
  static const char* const names[] = {"1001 records",
                                      "1000000 records",
                                      "length 18",
                                      "v128 record",
                                      "type 0x42",
                                      "name not UTF-8",
                                      "1000 records to a function without params",
                                      "records out of bounds"};
  for (int k = 0; k < 8; ++k) {
    params_t p = {.len = 0};
    param_i32(&p, k);
    uint64_t id = 0;
    if (spawn_fn(100 + k, -1, -1, "params_case", &p, &id) != 0) {
      say("spawn failed: %s", error_text(id));
      continue;
    }
    lunatic_monitor(id);
    (void)await_death(id, 10000);
    say("params %s: %s", names[k],
        link_died(100 + k, 100) ? "the spawner trapped" : "the spawner returned");
  }
  uint64_t fresh = spawn_or_say(0, "return_now", 0);
  say("spawn after the cases: %s", fresh ? "ok" : "FAILED");
  return 0;
}

/* ---- link_storm ---- */

EXPORT("storm_supervisor") void storm_supervisor(int64_t parent) {
  lunatic_die_when_link_dies(0);
  const int n = 2000;
  int spawned = 0;
  for (int i = 0; i < n; ++i) {
    uint64_t id = 0;
    if (spawn_fn(1 + i, -1, -1, "trap_now", 0, &id) == 0) ++spawned;
  }
  const uint64_t start = now_ns();
  int heard = 0;
  while (heard < spawned) {
    uint32_t r = receive_any(10000);
    if (r == LUNATIC_TIMEOUT) break;
    if (r == LUNATIC_MESSAGE_LINK_DIED) ++heard;
  }
  say("link storm link_died=%d/%d ms=%llu", heard, spawned, (unsigned long long)ms_since(start));
  send_value((uint64_t)parent, TAG_RESULT, heard);
}

static int link_storm(void) {
  uint64_t by = bystander_start();
  (void)spawn_with_parent(0, "storm_supervisor");
  (void)receive_value(TAG_RESULT, 30000, -1);
  uint64_t target = spawn_or_say(0, "idle", 0);
  const uint64_t start = now_ns();
  for (int i = 0; i < 200000; ++i) {
    lunatic_link(7, target);
    lunatic_unlink(target);
    lunatic_monitor(target);
    lunatic_stop_monitoring(target);
  }
  say("200,000 link/unlink/monitor/stop ms=%llu", (unsigned long long)ms_since(start));
  for (int i = 0; i < 100000; ++i) lunatic_monitor(target);
  lunatic_kill(target);
  int deaths = 0;
  while (receive_any(500) == LUNATIC_MESSAGE_PROCESS_DIED) ++deaths;
  say("100,000 monitors of one process, then its death: process_died messages=%d", deaths);
  bystander_stop(by);
  return 0;
}

/* ---- cap_hint ---- */

static int cap_hint(void) {
  FILE* f = fopen("data.txt", "r");
  if (f) {
    say("data.txt opened without a preopen?");
    return 1;
  }
  for (int i = 0; i < 10000; ++i) say("data.txt: Capabilities insufficient");
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    say("usage: b_flood <mode>");
    return 2;
  }
  const char* m = argv[1];
  if (!strcmp(m, "nop")) {
    say("nop");
    return 0;
  }
  if (!strcmp(m, "mailbox_unbounded")) return mailbox_unbounded();
  if (!strcmp(m, "mailbox_limited")) return mailbox_limited();
  if (!strcmp(m, "send_self")) return send_self();
  if (!strcmp(m, "stderr_flood")) return stderr_flood();
  if (!strcmp(m, "timer_flood")) return timer_flood();
  if (!strcmp(m, "trap_reasons")) return trap_reasons();
  if (!strcmp(m, "spawn_params")) return spawn_params();
  if (!strcmp(m, "link_storm")) return link_storm();
  if (!strcmp(m, "cap_hint")) return cap_hint();
  say("unknown mode %s", m);
  return 2;
}
