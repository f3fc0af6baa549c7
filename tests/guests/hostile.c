/* A hostile tenant (issue 22): escapes through a child's config, bombs of processes and
 * memory, compile loops, floods of messages and resources, huge trap messages. Each mode is
 * one attack; the CLI tests (cli_hostile_guest_test.cpp) check that the runtime refuses it
 * with a clear error and that everything else keeps working.
 *
 *   escape              preopen paths inside and outside `box` for a child (run with --dir D:box)
 *   escalate            a restricted process tries to grant more than it has
 *   fork_bomb           processes that spawn until refused, beside a supervisor and main
 *   memory_bomb         processes that grow memory until refused
 *   subtree_limits      a config's max_processes, max_total_memory and max_compiles
 *   compile_loops       two processes compiling in a loop beside a sleeper
 *   kill_compiler       kills a process that waits for a long compile
 *   exit_compiling      returns from main while a long compile runs
 *   mailbox_limits      sends past a config's mailbox limits
 *   mailbox_memory      floods a mailbox, kills its owner, reads the runtime's RSS (needs
 *                       --dir /proc/self:self)
 *   huge_spawn          spawns with a million parameters
 *   long_failure        a child fails with a message of several kilobytes
 *   configs_flood       creates configs until refused
 *   errors_flood        makes errors and drops them, then makes errors until refused
 *   open_file           opens data.txt and fails when it cannot
 *   bulk_fill           a process filling 256 MiB with one instruction, in a loop, beside a
 *                       sleeper; then it is killed */
// guest-flags: -mbulk-memory
#include <stdlib.h>

#include "proc_util.h"

#define SECOND_NS 1000000000ull
#define MS_NS 1000000ull

/* ---- modules made here: distinct bytes per salt, and as much code as asked ---- */

static uint8_t* put_uleb(uint8_t* p, uint64_t v) {
  do {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if (v) b |= 0x80;
    *p++ = b;
  } while (v);
  return p;
}

static uint8_t* put_sleb(uint8_t* p, int64_t v) {
  for (;;) {
    uint8_t b = v & 0x7F;
    v >>= 7;
    if ((v == 0 && !(b & 0x40)) || (v == -1 && (b & 0x40))) {
      *p++ = b;
      return p;
    }
    *p++ = b | 0x80;
  }
}

/* Appends section `id` holding [content, content + size). */
static uint8_t* put_section(uint8_t* p, uint8_t id, const uint8_t* content, uint32_t size) {
  *p++ = id;
  p = put_uleb(p, size);
  memcpy(p, content, size);
  return p + size;
}

/* Bytes make_module may need. */
static size_t module_capacity(uint32_t functions, uint32_t ops) {
  return (size_t)functions * (ops * 12 + 16) + 64;
}

/* A valid module of `functions` functions () -> i32, each adding `ops` constants that depend on
 * `salt` (so every salt is another module to compile), exporting the first as "f". Returns its
 * size in `out`, which holds module_capacity(functions, ops) bytes; 0 when out of memory. */
static uint32_t make_module(uint8_t* out, uint32_t salt, uint32_t functions, uint32_t ops) {
  uint8_t* body = malloc((size_t)ops * 12 + 16);
  uint8_t* scratch = malloc(module_capacity(functions, ops));
  if (!body || !scratch) {
    free(body);
    free(scratch);
    return 0;
  }
  uint8_t* p = out;
  static const uint8_t header[8] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
  memcpy(p, header, 8);
  p += 8;
  static const uint8_t types[] = {0x01, 0x60, 0x00, 0x01, 0x7F};
  p = put_section(p, 1, types, sizeof types);
  uint8_t* q = put_uleb(scratch, functions);
  for (uint32_t i = 0; i < functions; ++i) *q++ = 0x00;
  p = put_section(p, 3, scratch, (uint32_t)(q - scratch));
  static const uint8_t exports[] = {0x01, 0x01, 'f', 0x00, 0x00};
  p = put_section(p, 7, exports, sizeof exports);
  q = put_uleb(scratch, functions);
  for (uint32_t i = 0; i < functions; ++i) {
    uint8_t* b = body;
    *b++ = 0x00; /* no locals */
    *b++ = 0x41; /* i32.const */
    b = put_sleb(b, (int32_t)(salt * 7919u + i));
    for (uint32_t k = 0; k < ops; ++k) {
      *b++ = 0x41;
      b = put_sleb(b, (int32_t)(salt ^ (k * 2654435761u)));
      *b++ = (k % 3 == 0) ? 0x6C : 0x6A; /* i32.mul or i32.add */
    }
    *b++ = 0x0B; /* end */
    q = put_uleb(q, (uint32_t)(b - body));
    memcpy(q, body, (size_t)(b - body));
    q += b - body;
  }
  p = put_section(p, 10, scratch, (uint32_t)(q - scratch));
  free(body);
  free(scratch);
  return (uint32_t)(p - out);
}

/* compile_module of a module made here. Returns compile_module's result; *id the id or error. */
static int32_t compile_made(uint32_t salt, uint32_t functions, uint32_t ops, uint64_t* id) {
  uint8_t* module = malloc(module_capacity(functions, ops));
  uint32_t len = module ? make_module(module, salt, functions, ops) : 0;
  if (len == 0) {
    say("out of memory for a module of %u functions", functions);
    free(module);
    return -2;
  }
  int32_t r = lunatic_compile_module(LUNATIC_PTR(module), len, LUNATIC_PTR(id));
  free(module);
  return r;
}

/* A few seconds of C compiler time, at least, on this kind of machine. */
#define BIG_FUNCTIONS 400
#define BIG_OPS 400
#define KILL_AFTER_MS 1500 /* the C compiler runs by then (it starts after about 0.6 s here) */

static void send_value(uint64_t pid, int64_t tag, int64_t value) { send_i64s(pid, tag, &value, 1); }

/* The first i64 of the next message with `tag`, or -1 on timeout. */
static int64_t receive_value(int64_t tag, uint64_t timeout_ms) {
  if (receive_tag(tag, timeout_ms) != LUNATIC_MESSAGE_DATA) return -1;
  int64_t value = -1;
  read_i64s(&value, 1);
  return value;
}

/* ---- escape ---- */

static const char* const kPreopenPaths[] = {
    "box/sub", "box", "box/../outside", "box/..", "/", "/etc", "outside", "box/link_out", "../box",
};
#define PREOPEN_PATHS (int)(sizeof kPreopenPaths / sizeof kPreopenPaths[0])

/* Reads `path` beneath the first preopen with raw WASI. Returns 1 with its first line in buf. */
static int read_beneath(const char* path, char* buf, uint32_t cap) {
  __wasi_fd_t file;
  if (__wasi_path_open(3, 0, path, 0, __WASI_RIGHTS_FD_READ, 0, 0, &file) != 0) return 0;
  __wasi_iovec_t iov = {(uint8_t*)buf, cap - 1};
  size_t n = 0;
  int ok = __wasi_fd_read(file, &iov, 1, &n) == 0;
  (void)__wasi_fd_close(file);
  buf[ok ? n : 0] = 0;
  char* newline = strchr(buf, '\n');
  if (newline) *newline = 0;
  return ok;
}

EXPORT("read_granted") void read_granted(int32_t index, int64_t parent) {
  const char* path = kPreopenPaths[index];
  char text[64];
  static const char* const tries[] = {"inside.txt", "sub/inside.txt", "../outside/secret.txt",
                                      "../../outside/secret.txt", "/etc/hostname"};
  for (int i = 0; i < 5; ++i) {
    if (read_beneath(tries[i], text, sizeof text)) {
      say("granted %s read %s: %s", path, tries[i], text);
    } else {
      say("granted %s read %s: denied", path, tries[i]);
    }
  }
  send_value((uint64_t)parent, 210, index);
}

EXPORT("try_preopen") void try_preopen(int32_t index, int64_t parent) {
  const char* path = kPreopenPaths[index];
  int64_t config = lunatic_create_config();
  lunatic_config_preopen_dir((uint64_t)config, LUNATIC_PTR(path), (uint32_t)strlen(path));
  /* Only reached when the grant was made. */
  params_t p = {.len = 0};
  param_i32(&p, index);
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t child = 0;
  if (spawn_fn(0, config, -1, "read_granted", &p, &child) != 0) {
    say("spawn with %s failed: %s", path, error_text(child));
  } else {
    (void)receive_value(210, 5000);
  }
  send_value((uint64_t)parent, 200 + index, index);
}

static int escape(void) {
  lunatic_die_when_link_dies(0);
  for (int i = 0; i < PREOPEN_PATHS; ++i) {
    params_t p = {.len = 0};
    param_i32(&p, i);
    param_i64(&p, (int64_t)lunatic_process_id());
    uint64_t child = 0;
    if (spawn_fn(100 + i, -1, -1, "try_preopen", &p, &child) != 0) {
      say("spawn failed: %s", error_text(child));
      return 1;
    }
    uint32_t r = receive_any(10000);
    if (r == LUNATIC_MESSAGE_DATA && lunatic_message_get_tag() == 200 + i) {
      say("preopen %s: granted", kPreopenPaths[i]);
      (void)receive_tag(100 + i, 0); /* a normal exit sends no link-died */
    } else if (r == LUNATIC_MESSAGE_LINK_DIED && lunatic_message_get_tag() == 100 + i) {
      say("preopen %s: refused", kPreopenPaths[i]);
    } else {
      say("preopen %s: %s", kPreopenPaths[i], describe_received(r));
    }
  }
  return 0;
}

/* ---- escalate ---- */

static const char* const kGrants[] = {
    "can_compile_modules 1", "can_compile_modules 0",
    "can_spawn_processes 1", "can_create_configs 1",
    "max_memory 2 MiB",      "max_memory 512 KiB",
    "max_fuel unlimited",    "max_fuel 5000",
    "max_fuel 500",          "defaults",
};
#define GRANTS (int)(sizeof kGrants / sizeof kGrants[0])

EXPORT("try_grant") void try_grant(int32_t k, int64_t parent) {
  int64_t c = lunatic_create_config();
  if (c < 0) {
    say("grant %s: cannot create a config", kGrants[k]);
    return;
  }
  uint64_t config = (uint64_t)c;
  switch (k) {
    case 0:
      lunatic_config_set_can_compile_modules(config, 1);
      break;
    case 1:
      lunatic_config_set_can_compile_modules(config, 0);
      break;
    case 2:
      lunatic_config_set_can_spawn_processes(config, 1);
      break;
    case 3:
      lunatic_config_set_can_create_configs(config, 1);
      break;
    case 4:
      lunatic_config_set_max_memory(config, 2u << 20);
      break;
    case 5:
      lunatic_config_set_max_memory(config, 512u << 10);
      break;
    case 6:
      lunatic_config_set_max_fuel(config, 0);
      break;
    case 7:
      lunatic_config_set_max_fuel(config, 5000);
      break;
    case 8:
      lunatic_config_set_max_fuel(config, 500);
      break;
    default:
      say("a new config here has max_memory %llu and max_fuel %llu",
          (unsigned long long)lunatic_config_get_max_memory(config),
          (unsigned long long)lunatic_config_get_max_fuel(config));
  }
  send_value((uint64_t)parent, 400 + k, k);
}

/* Restricted: may spawn and create configs, not compile; 1 MiB of memory; 1000 units of fuel. */
EXPORT("restricted") void restricted(int64_t parent) {
  lunatic_die_when_link_dies(0);
  for (int k = 0; k < GRANTS; ++k) {
    params_t p = {.len = 0};
    param_i32(&p, k);
    param_i64(&p, (int64_t)lunatic_process_id());
    uint64_t child = 0;
    if (spawn_fn(300 + k, -1, -1, "try_grant", &p, &child) != 0) {
      say("spawn failed: %s", error_text(child));
      continue;
    }
    uint32_t r = receive_any(10000);
    if (r == LUNATIC_MESSAGE_DATA && lunatic_message_get_tag() == 400 + k) {
      say("grant %s: allowed", kGrants[k]);
    } else if (r == LUNATIC_MESSAGE_LINK_DIED && lunatic_message_get_tag() == 300 + k) {
      say("grant %s: refused", kGrants[k]);
    } else {
      say("grant %s: %s", kGrants[k], describe_received(r));
    }
  }
  send_value((uint64_t)parent, 1, 0);
}

static int escalate(void) {
  uint64_t config = (uint64_t)lunatic_create_config();
  lunatic_config_set_can_spawn_processes(config, 1);
  lunatic_config_set_can_create_configs(config, 1);
  lunatic_config_set_max_memory(config, 1u << 20);
  lunatic_config_set_max_fuel(config, 1000);
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t child = 0;
  if (spawn_fn(0, (int64_t)config, -1, "restricted", &p, &child) != 0) {
    say("spawn failed: %s", error_text(child));
    return 1;
  }
  say("restricted child done: %s", receive_value(1, 30000) == 0 ? "yes" : "no");
  return 0;
}

/* ---- fork bomb ---- */

EXPORT("idle") void idle(void) { (void)receive_tag(GO_TAG, LUNATIC_NO_TIMEOUT); }

/* Spawns copies of itself until refused, forever; the first bomb says why it was refused. */
EXPORT("bomb") void bomb(int32_t depth) {
  int said = 0;
  for (;;) {
    params_t p = {.len = 0};
    param_i32(&p, depth + 1);
    uint64_t child = 0;
    if (spawn_fn(0, -1, -1, "bomb", &p, &child) != 0) {
      const char* why = error_text(child);
      if (depth == 0 && !said) {
        say("bomb refused: %s", why);
        said = 1;
      }
      lunatic_sleep_ms(5);
    }
  }
}

/* Keeps one `idle` worker alive: restarts it whenever it dies, and tells `parent` how. */
EXPORT("supervisor") void supervisor(int64_t parent) {
  lunatic_die_when_link_dies(0);
  uint64_t worker = spawn_or_report(1, "idle", 0);
  send_value((uint64_t)parent, 500, (int64_t)worker);
  for (;;) {
    uint32_t r = receive_any(LUNATIC_NO_TIMEOUT);
    if (r != LUNATIC_MESSAGE_LINK_DIED) continue;
    uint64_t id = 0;
    uint32_t spawned = spawn_fn(1, -1, -1, "idle", 0, &id);
    if (spawned != 0) say("supervisor restart failed: %s", error_text(id));
    send_value((uint64_t)parent, 501, spawned == 0 ? (int64_t)id : -1);
  }
}

static int fork_bomb(void) {
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t sup = 0;
  if (spawn_fn(0, -1, -1, "supervisor", &p, &sup) != 0) return 1;
  int64_t worker = receive_value(500, 5000);
  say("supervisor started a worker: %s", worker > 0 ? "yes" : "no");
  params_t b = {.len = 0};
  param_i32(&b, 0);
  uint64_t first_bomb = 0;
  if (spawn_fn(0, -1, -1, "bomb", &b, &first_bomb) != 0) return 1;
  lunatic_sleep_ms(1500); /* the bomb fills every process slot it may have */
  lunatic_kill((uint64_t)worker);
  int64_t restarted = receive_value(501, 5000);
  say("supervisor restarted its worker after the bomb: %s", restarted > 0 ? "yes" : "no");
  uint64_t mine = 0;
  uint32_t r = spawn_fn(0, -1, -1, "idle", 0, &mine);
  say("main spawns after the bomb: %s", r == 0 ? "yes" : error_text(mine));
  return 0;
}

/* ---- memory bomb ---- */

/* Grows memory a MiB at a time until refused, touching every page, then reports its pages.
 * The report's message is made first: a message's buffer is guest memory of its writer, and
 * past the limit there is none left to make one. */
EXPORT("hog") void hog(int64_t parent) {
  lunatic_message_create_data(700, 8);
  for (;;) {
    long old = __builtin_wasm_memory_grow(0, 16);
    if (old < 0) break;
    for (long page = old; page < old + 16; ++page) {
      for (long offset = 0; offset < 65536; offset += 4096) {
        *(volatile uint8_t*)(uintptr_t)(page * 65536 + offset) = 1;
      }
    }
  }
  const int64_t pages = (int64_t)__builtin_wasm_memory_size(0);
  lunatic_message_write_data(LUNATIC_PTR(&pages), sizeof pages);
  lunatic_message_send((uint64_t)parent);
  (void)receive_tag(GO_TAG, LUNATIC_NO_TIMEOUT);
}

static int memory_bomb(void) {
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  int64_t pages = 0;
  int failed = 0;
  lunatic_die_when_link_dies(0); /* a hog that finds no memory at all fails: hear of it */
  for (int i = 0; i < 8; ++i) {
    uint64_t id = 0;
    if (spawn_fn(900 + i, -1, -1, "hog", &p, &id) != 0) {
      say("hog %d not spawned: %s", i, error_text(id));
      continue;
    }
    const uint32_t r = receive_any(60000);
    if (r == LUNATIC_MESSAGE_DATA && lunatic_message_get_tag() == 700) {
      int64_t held = 0;
      read_i64s(&held, 1);
      pages += held;
    } else {
      ++failed;
    }
  }
  say("hogs hold MiB: %lld", (long long)(pages * 65536 >> 20));
  say("hogs that failed for want of memory: %d", failed);
  long old = __builtin_wasm_memory_grow(0, 16);
  say("main grows 1 MiB after the bomb: %s", old < 0 ? "refused" : "yes");
  return 0;
}

/* ---- a config's limits on its subtree ---- */

/* Spawns idle children until refused; tells `parent` how many it made. */
EXPORT("spawn_until_refused") void spawn_until_refused(int64_t parent) {
  int64_t made = 0;
  for (;;) {
    uint64_t id = 0;
    if (spawn_fn(0, -1, -1, "idle", 0, &id) != 0) {
      say("subtree spawn refused: %s", error_text(id));
      break;
    }
    ++made;
  }
  send_value((uint64_t)parent, 800, made);
}

/* Compiles until refused (each a few functions); tells `parent` how many it compiled. */
EXPORT("compile_until_refused") void compile_until_refused(int64_t parent) {
  int64_t made = 0;
  for (int salt = 0; salt < 10; ++salt) {
    uint64_t id = 0;
    int32_t r = compile_made((uint32_t)salt + 1000, 1, 1, &id);
    if (r != 0) {
      say("subtree compile refused: %s", r == 1 ? error_text(id) : "no permission");
      break;
    }
    ++made;
  }
  send_value((uint64_t)parent, 801, made);
}

static int subtree_limits(void) {
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t config = (uint64_t)lunatic_create_config();
  lunatic_config_set_can_spawn_processes(config, 1);
  lunatic_config_set_can_compile_modules(config, 1);
  lunatic_config_set_max_processes(config, 5);
  lunatic_config_set_max_total_memory(config, 8u << 20);
  lunatic_config_set_max_compiles(config, 2);
  say("config limits: %llu processes, %llu bytes, %llu compiles",
      (unsigned long long)lunatic_config_get_max_processes(config),
      (unsigned long long)lunatic_config_get_max_total_memory(config),
      (unsigned long long)lunatic_config_get_max_compiles(config));
  uint64_t id = 0;
  if (spawn_fn(0, (int64_t)config, -1, "spawn_until_refused", &p, &id) != 0) return 1;
  say("the head spawned before its limit: %lld", (long long)receive_value(800, 10000));
  if (spawn_fn(0, (int64_t)config, -1, "hog", &p, &id) != 0) return 1;
  say("a hog under 8 MiB holds MiB: %lld", (long long)(receive_value(700, 60000) * 65536 >> 20));
  if (spawn_fn(0, (int64_t)config, -1, "compile_until_refused", &p, &id) != 0) return 1;
  say("compiled before its limit: %lld", (long long)receive_value(801, 120000));
  /* The runtime itself is not bound by the config: main still spawns. */
  uint32_t r = spawn_fn(0, -1, -1, "idle", 0, &id);
  say("main spawns beside the limited subtree: %s", r == 0 ? "yes" : error_text(id));
  return 0;
}

/* ---- compile loops beside a sleeper ---- */

EXPORT("compile_loop") void compile_loop(int32_t salt, int64_t parent) {
  int64_t compiled = 0;
  for (uint32_t i = 0;; ++i) {
    uint64_t id = 0;
    if (compile_made((uint32_t)salt * 100000u + i, 20, 60, &id) == 0) {
      ++compiled;
      lunatic_drop_module(id);
    }
    if (receive_tag(GO_TAG, 0) == LUNATIC_MESSAGE_DATA) break;
  }
  send_value((uint64_t)parent, 900, compiled);
}

static int compile_loops(void) {
  uint64_t loops[2];
  for (int i = 0; i < 2; ++i) {
    params_t p = {.len = 0};
    param_i32(&p, i + 1);
    param_i64(&p, (int64_t)lunatic_process_id());
    if (spawn_fn(0, -1, -1, "compile_loop", &p, &loops[i]) != 0) return 1;
  }
  lunatic_sleep_ms(200); /* both are compiling */
  uint64_t worst = 0;
  const uint64_t start = now_ns();
  while (now_ns() - start < 4 * SECOND_NS) {
    const uint64_t before = now_ns();
    lunatic_sleep_ms(5);
    const uint64_t slept = now_ns() - before;
    const uint64_t late = slept > 5 * MS_NS ? slept - 5 * MS_NS : 0;
    if (late > worst) worst = late;
  }
  for (int i = 0; i < 2; ++i) send_go(loops[i]);
  int64_t compiled = 0;
  for (int i = 0; i < 2; ++i) {
    int64_t n = receive_value(900, 120000);
    if (n > 0) compiled += n;
  }
  say("modules compiled meanwhile: %lld", (long long)compiled);
  say("sleeper max lateness us: %llu", (unsigned long long)(worst / 1000));
  return 0;
}

/* ---- a kill, and an exit, while a compile runs ---- */

EXPORT("compile_big") void compile_big(void) {
  uint64_t id = 0;
  int32_t r = compile_made((uint32_t)now_ns(), BIG_FUNCTIONS, BIG_OPS, &id);
  say("compile_big returned %d", r);
}

static int kill_compiler(void) {
  uint64_t compiler = 0;
  if (spawn_fn(0, -1, -1, "compile_big", 0, &compiler) != 0) return 1;
  lunatic_monitor(compiler);
  lunatic_sleep_ms(KILL_AFTER_MS);
  const uint64_t before = now_ns();
  lunatic_kill(compiler);
  uint32_t r = receive_any(10000);
  const uint64_t took = now_ns() - before;
  say("after the kill: %s", describe_received(r));
  say("kill took us: %llu", (unsigned long long)(took / 1000));
  return 0;
}

static int exit_compiling(void) {
  uint64_t compiler = 0;
  if (spawn_fn(0, -1, -1, "compile_big", 0, &compiler) != 0) return 1;
  lunatic_sleep_ms(KILL_AFTER_MS);
  say("main returns while the compile runs");
  return 0;
}

/* ---- mailboxes ---- */

/* Waits while its mailbox fills (a message could not wake it: a full mailbox refuses it), then
 * counts what the mailbox holds and tells `parent`. */
EXPORT("slow_receiver") void slow_receiver(int64_t parent) {
  lunatic_sleep_ms(1000);
  int64_t received = 0;
  while (receive_tag(0x51, 0) == LUNATIC_MESSAGE_DATA) ++received;
  send_value((uint64_t)parent, 601, received);
}

static void fill_mailbox(uint64_t max_messages, uint64_t max_bytes, uint32_t messages,
                         uint32_t size) {
  uint64_t config = (uint64_t)lunatic_create_config();
  if (max_messages) lunatic_config_set_max_mailbox_messages(config, max_messages);
  if (max_bytes) lunatic_config_set_max_mailbox_bytes(config, max_bytes);
  params_t p = {.len = 0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t receiver = 0;
  if (spawn_fn(0, (int64_t)config, -1, "slow_receiver", &p, &receiver) != 0) return;
  static uint8_t payload[4096];
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
  say("limit %llu messages %llu bytes: delivered %u, refused %u, other %u",
      (unsigned long long)max_messages, (unsigned long long)max_bytes, delivered, refused, other);
  say("the receiver found: %lld", (long long)receive_value(601, 10000));
}

static int mailbox_limits(void) {
  fill_mailbox(100, 0, 1000, 8);
  fill_mailbox(0, 10000, 100, 1000);
  return 0;
}

/* VmRSS of the runtime in KiB, read through the preopen of /proc/self named "self". */
static long runtime_rss_kib(void) {
  FILE* f = fopen("self/status", "r");
  if (!f) return -1;
  char line[256];
  long kib = -1;
  while (fgets(line, sizeof line, f)) {
    if (!strncmp(line, "VmRSS:", 6)) kib = strtol(line + 6, 0, 10);
  }
  fclose(f);
  return kib;
}

static int mailbox_memory(void) {
  const long before = runtime_rss_kib();
  uint64_t receiver = 0;
  if (spawn_fn(0, -1, -1, "idle", 0, &receiver) != 0) return 1;
  lunatic_monitor(receiver);
  static uint8_t payload[200];
  for (int i = 0; i < 1000000; ++i) {
    lunatic_message_create_data(0x51, sizeof payload);
    lunatic_message_write_data(LUNATIC_PTR(payload), sizeof payload);
    lunatic_message_send(receiver);
  }
  const long flooded = runtime_rss_kib();
  lunatic_kill(receiver);
  say("the receiver: %s", describe_received(receive_any(10000)));
  lunatic_sleep_ms(500);
  const long after = runtime_rss_kib();
  say("rss before KiB: %ld", before);
  say("rss flooded KiB: %ld", flooded);
  say("rss after the kill KiB: %ld", after);
  return 0;
}

/* ---- single instructions that move much ---- */

/* memory.fill of 256 MiB, over and over: one instruction at a time, no call in the loop. */
EXPORT("filler") void filler(void) {
  const long old = __builtin_wasm_memory_grow(0, 4096);
  if (old < 0) return;
  uint8_t* base = (uint8_t*)(uintptr_t)(old * 65536);
  for (uint32_t round = 0;; ++round) __builtin_memset(base, (int)round, 256u << 20);
}

static int bulk_fill(void) {
  uint64_t pid = 0;
  if (spawn_fn(0, -1, -1, "filler", 0, &pid) != 0) return 1;
  lunatic_monitor(pid);
  lunatic_sleep_ms(100);
  uint64_t worst = 0;
  const uint64_t start = now_ns();
  while (now_ns() - start < 2 * SECOND_NS) {
    const uint64_t before = now_ns();
    lunatic_sleep_ms(5);
    const uint64_t slept = now_ns() - before;
    if (slept > 5 * MS_NS && slept - 5 * MS_NS > worst) worst = slept - 5 * MS_NS;
  }
  const uint64_t killed_at = now_ns();
  lunatic_kill(pid);
  const uint32_t r = receive_any(10000);
  say("beside the filler, sleeper max lateness us: %llu", (unsigned long long)(worst / 1000));
  say("the filler: %s", describe_received(r));
  say("kill took us: %llu", (unsigned long long)((now_ns() - killed_at) / 1000));
  return 0;
}

/* ---- floods of text and resources ---- */

EXPORT("no_params") void no_params(void) {}

static int huge_spawn(void) {
  const uint32_t count = 1000000;
  uint8_t* records = malloc((size_t)count * 17);
  for (uint32_t i = 0; i < count; ++i) {
    records[i * 17] = LUNATIC_PARAM_I32;
    memset(records + i * 17 + 1, 0, 16);
  }
  uint64_t id = 0;
  const char* fn = "no_params";
  uint32_t r = lunatic_spawn(0, -1, -1, LUNATIC_PTR(fn), (uint32_t)strlen(fn), LUNATIC_PTR(records),
                             count * 17, LUNATIC_PTR(&id));
  say("huge spawn returned %u", r); /* not reached: the spawn traps */
  return 0;
}

static int long_failure(void) {
  const uint32_t count = 999;
  uint8_t* records = malloc((size_t)count * 17);
  for (uint32_t i = 0; i < count; ++i) {
    records[i * 17] = LUNATIC_PARAM_I64;
    memset(records + i * 17 + 1, 0, 16);
  }
  uint64_t id = 0;
  const char* fn = "no_params";
  lunatic_die_when_link_dies(0);
  uint32_t r = lunatic_spawn(7, -1, -1, LUNATIC_PTR(fn), (uint32_t)strlen(fn), LUNATIC_PTR(records),
                             count * 17, LUNATIC_PTR(&id));
  say("spawn with 999 parameters: %u", r);
  say("the child: %s", describe_received(receive_any(10000)));
  return 0;
}

static int configs_flood(void) {
  for (uint64_t i = 0;; ++i) {
    if (lunatic_create_config() < 0) return 1;
    if ((i & 0x3FFFF) == 0) say("configs made: %llu", (unsigned long long)i);
  }
}

/* Each failed distributed spawn (no such node) leaves an error resource. */
static uint64_t make_error(void) {
  uint64_t id = 0;
  (void)lunatic_distributed_spawn(999, -1, 0, 0, 0, 0, 0, LUNATIC_PTR(&id));
  return id;
}

static int errors_flood(void) {
  const uint64_t dropped = 500000;
  for (uint64_t i = 0; i < dropped; ++i) lunatic_error_drop(make_error());
  say("errors made and dropped: %llu", (unsigned long long)dropped);
  for (uint64_t i = 0;; ++i) {
    (void)make_error();
    if ((i & 0xFFFF) == 0) say("errors held: %llu", (unsigned long long)i);
  }
}

static int open_file(void) {
  FILE* f = fopen("data.txt", "r");
  if (!f) {
    perror("data.txt"); /* wasi-libc says why: "Capabilities insufficient" without a preopen */
    return 1;
  }
  char line[64] = {0};
  if (fgets(line, sizeof line, f)) {
    line[strcspn(line, "\n")] = 0;
    say("data.txt: %s", line);
  }
  fclose(f);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    say("usage: hostile <mode>");
    return 2;
  }
  const char* m = argv[1];
  if (!strcmp(m, "escape")) return escape();
  if (!strcmp(m, "escalate")) return escalate();
  if (!strcmp(m, "fork_bomb")) return fork_bomb();
  if (!strcmp(m, "memory_bomb")) return memory_bomb();
  if (!strcmp(m, "subtree_limits")) return subtree_limits();
  if (!strcmp(m, "compile_loops")) return compile_loops();
  if (!strcmp(m, "kill_compiler")) return kill_compiler();
  if (!strcmp(m, "exit_compiling")) return exit_compiling();
  if (!strcmp(m, "mailbox_limits")) return mailbox_limits();
  if (!strcmp(m, "mailbox_memory")) return mailbox_memory();
  if (!strcmp(m, "huge_spawn")) return huge_spawn();
  if (!strcmp(m, "long_failure")) return long_failure();
  if (!strcmp(m, "configs_flood")) return configs_flood();
  if (!strcmp(m, "errors_flood")) return errors_flood();
  if (!strcmp(m, "open_file")) return open_file();
  if (!strcmp(m, "bulk_fill")) return bulk_fill();
  say("unknown mode %s", m);
  return 2;
}
