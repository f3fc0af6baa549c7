// proc_config.wasm <mode> [arg]: process configurations and what a child spawned with one gets.
//
//   defaults              a new config's values, setters and getters, two configs apart, drop
//   main_permissions <wasm>  the main process may create configs, compile <wasm> and spawn
//   permissions           children with a new (all denied) config, and with single permissions
//   memory                max_memory limits memory.grow in the child; too small a limit fails
//                         the spawn with an error
//   fuel                  max_fuel stops a child that computes forever; without it a child
//                         finishes a bounded computation
//   wasi <dir>            args, environment and preopens of a child are exactly its config's
#include <stdio.h>
#include <stdlib.h>

#include "proc_util.h"

#define DONE_TAG 300

// ---- defaults ----

static int defaults(void) {
  int64_t c = lunatic_create_config();
  say("create_config: %s", c >= 0 ? "an id" : "-1");
  if (c < 0) return 1;
  uint64_t id = (uint64_t)c;
  say("new max_memory: %llu", (unsigned long long)lunatic_config_get_max_memory(id));
  say("new max_fuel: %llu", (unsigned long long)lunatic_config_get_max_fuel(id));
  say("new can_compile_modules: %u", lunatic_config_can_compile_modules(id));
  say("new can_create_configs: %u", lunatic_config_can_create_configs(id));
  say("new can_spawn_processes: %u", lunatic_config_can_spawn_processes(id));

  const uint64_t memories[] = {1048576, 65536 * 3 + 1, 0, 4294967296ull};
  for (int i = 0; i < 4; ++i) {
    lunatic_config_set_max_memory(id, memories[i]);
    say("max_memory after set %llu: %llu", (unsigned long long)memories[i],
        (unsigned long long)lunatic_config_get_max_memory(id));
  }
  const uint64_t fuels[] = {123, 1, 0, UINT64_MAX - 1};
  for (int i = 0; i < 4; ++i) {
    lunatic_config_set_max_fuel(id, fuels[i]);
    say("max_fuel after set %llu: %llu", (unsigned long long)fuels[i],
        (unsigned long long)lunatic_config_get_max_fuel(id));
  }
  const uint32_t flags[] = {1, 7, 0, 0x80000000u};
  for (int i = 0; i < 4; ++i) {
    lunatic_config_set_can_compile_modules(id, flags[i]);
    say("can_compile_modules after set %u: %u", flags[i], lunatic_config_can_compile_modules(id));
    lunatic_config_set_can_create_configs(id, flags[i]);
    say("can_create_configs after set %u: %u", flags[i], lunatic_config_can_create_configs(id));
    lunatic_config_set_can_spawn_processes(id, flags[i]);
    say("can_spawn_processes after set %u: %u", flags[i], lunatic_config_can_spawn_processes(id));
  }

  // A second config is separate: changing one changes nothing in the other.
  int64_t c2 = lunatic_create_config();
  if (c2 < 0) return 1;
  say("second config has another id: %s", c2 != c ? "yes" : "no");
  lunatic_config_set_max_memory(id, 1 << 20);
  lunatic_config_set_can_spawn_processes(id, 1);
  lunatic_config_set_max_fuel((uint64_t)c2, 5);
  say("second config untouched: %s",
      lunatic_config_get_max_memory((uint64_t)c2) == 4294967295ull &&
              lunatic_config_can_spawn_processes((uint64_t)c2) == 0 &&
              lunatic_config_get_max_fuel(id) == UINT64_MAX - 1
          ? "yes"
          : "no");
  lunatic_drop_config(id);
  lunatic_drop_config((uint64_t)c2);
  say("dropped both: yes");
  return 0;
}

// ---- main_permissions ----

static uint8_t module_bytes[65536];

static int main_permissions(const char* wasm) {
  int64_t c = lunatic_create_config();
  say("main create_config: %s", c >= 0 ? "an id" : "-1");
  uint32_t len = read_file(wasm, module_bytes, sizeof module_bytes);
  if (len == 0) {
    say("cannot read %s", wasm);
    return 1;
  }
  uint64_t module_id = 0;
  int32_t r = lunatic_compile_module(LUNATIC_PTR(module_bytes), len, LUNATIC_PTR(&module_id));
  say("main compile_module: %d", r);
  uint64_t child = 0;
  uint32_t s = spawn_fn(0, -1, -1, "child_return_now", 0, &child);
  say("main spawn: %u", s);
  return 0;
}

// ---- permissions ----

// Tries what a config may forbid, reporting each result, and sends the parent DONE_TAG.
// A spawn without permission traps, so it comes last.
EXPORT("try_everything") void try_everything(int64_t parent, int32_t label) {
  const char* who = label == 0 ? "denied child" : label == 1 ? "spawner child" : "grandchild";
  int64_t c = lunatic_create_config();
  say("%s create_config: %s", who, c >= 0 ? "an id" : "-1");
  uint8_t not_wasm[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  uint64_t module_id = 0;
  int32_t r =
      lunatic_compile_module(LUNATIC_PTR(not_wasm), sizeof not_wasm, LUNATIC_PTR(&module_id));
  say("%s compile_module: %d", who, r);
  // The spawner child's own child inherits its config (-1) and reports too.
  params_t p = {0};
  param_i64(&p, parent);
  param_i32(&p, 2);
  say("%s spawns", who);
  uint64_t id = 0;
  uint32_t s = label == 2 ? spawn_fn(0, -1, -1, "child_return_now", 0, &id)
                          : spawn_fn(0, -1, -1, "try_everything", &p, &id);
  say("%s spawn: %u", who, s);
  send_i64s((uint64_t)parent, DONE_TAG + label, 0, 0);
}

static int permissions(void) {
  uint64_t me = lunatic_process_id();
  lunatic_die_when_link_dies(0);

  int64_t denied = lunatic_create_config();
  params_t p = {0};
  param_i64(&p, (int64_t)me);
  param_i32(&p, 0);
  uint64_t child = 0;
  uint32_t s = spawn_fn(31, denied, -1, "try_everything", &p, &child);
  say("spawn with a new config: %u", s);
  report_next("denied child", 10000);

  // Only spawning allowed: the child spawns a grandchild with its own config (-1).
  int64_t spawner = lunatic_create_config();
  lunatic_config_set_can_spawn_processes((uint64_t)spawner, 1);
  params_t p1 = {0};
  param_i64(&p1, (int64_t)me);
  param_i32(&p1, 1);
  s = spawn_fn(32, spawner, -1, "try_everything", &p1, &child);
  say("spawn with a spawn-only config: %u", s);
  say("spawner child done: %s", describe_received(receive_tag(DONE_TAG + 1, 10000)));
  say("grandchild done: %s", describe_received(receive_tag(DONE_TAG + 2, 10000)));
  report_next("then", 300);
  return 0;
}

// ---- memory ----

// After go: grows memory to 64 pages (4 MiB), then one page more, reporting each result.
EXPORT("grow_probe") void grow_probe(int32_t label) {
  await_go();
  const char* who = label == 0 ? "4 MiB child" : label == 1 ? "4 MiB + 100 B child" : "free child";
  int32_t before = (int32_t)__builtin_wasm_memory_size(0);
  int32_t to_64 = (int32_t)__builtin_wasm_memory_grow(0, (size_t)(64 - before));
  say("%s grow to 64 pages: %s", who, to_64 == before ? "ok" : "failed");
  int32_t past = (int32_t)__builtin_wasm_memory_grow(0, 1);
  say("%s grow to 65 pages: %d", who, past == -1 ? -1 : 0);
  say("%s pages: %d", who, (int32_t)__builtin_wasm_memory_size(0));
  // The new top page is usable.
  volatile uint8_t* top = (volatile uint8_t*)(uintptr_t)(64u * 65536u - 1u);
  *top = 42;
  say("%s last byte: %d", who, *top);
}

static int memory(void) {
  const uint64_t limits[] = {4194304, 4194304 + 100, 0};
  for (int32_t i = 0; i < 3; ++i) {
    int64_t c = lunatic_create_config();
    if (limits[i]) lunatic_config_set_max_memory((uint64_t)c, limits[i]);
    params_t p = {0};
    param_i32(&p, i);
    uint64_t child = 0;
    uint32_t s = spawn_fn(0, c, -1, "grow_probe", &p, &child);
    if (s != 0) {
      say("spawn %d: %u", i, s);
      continue;
    }
    name_pid(child, "child");
    lunatic_monitor(child);
    send_go(child);
    report_next("probe ended", 10000);
  }

  // This module starts with 2 pages: a limit of 1 page cannot even instantiate it.
  int64_t tiny = lunatic_create_config();
  lunatic_config_set_max_memory((uint64_t)tiny, 65536);
  uint64_t id = 0;
  uint32_t s = spawn_fn(0, tiny, -1, "child_return_now", 0, &id);
  say("spawn with max_memory below the module's minimum: %u", s);
  if (s == 1) {
    const char* text = error_text(id);
    say("its error has a text: %s", text[0] ? "yes" : "no");
    say("error: %s", text);
  }
  say("main still runs: yes");
  return 0;
}

// ---- fuel ----

// Counts to 20 million, then tells the parent.
EXPORT("bounded_work") void bounded_work(int64_t parent) {
  volatile uint64_t n = 0;
  for (uint32_t i = 0; i < 20000000; ++i) n = n + i;
  send_i64s((uint64_t)parent, DONE_TAG, 0, 0);
}

static int fuel(void) {
  uint64_t me = lunatic_process_id();
  lunatic_die_when_link_dies(0);
  params_t p = {0};
  param_i64(&p, (int64_t)me);

  int64_t limited = lunatic_create_config();
  lunatic_config_set_max_fuel((uint64_t)limited, 1);
  uint64_t child = 0;
  uint32_t s = spawn_fn(41, limited, -1, "child_spin", 0, &child);
  say("spin with max_fuel 1: spawn %u, pid %llu", s, (unsigned long long)child);
  report_next("spinner", 30000);

  int64_t unlimited = lunatic_create_config();
  s = spawn_fn(42, unlimited, -1, "bounded_work", &p, &child);
  say("bounded work without a fuel limit: spawn %u", s);
  report_next("worker", 60000);

  s = spawn_fn(43, -1, -1, "bounded_work", &p, &child);
  say("bounded work with main's config: spawn %u", s);
  report_next("worker", 60000);
  return 0;
}

// ---- wasi ----

static const char* view_name(int32_t label) {
  switch (label) {
    case 0:
      return "main";
    case 1:
      return "configured";
    case 2:
      return "bare";
    default:
      return "inherited";
  }
}

// Prints what this process sees through WASI: arguments, environment, preopened directories, and
// the first line of hello.txt in the last preopen. Only raw WASI calls: in a spawned function
// libc was never set up.
EXPORT("wasi_view") void wasi_view(int32_t label) {
  const char* who = view_name(label);
  static char buf[8192];
  static char* ptrs[64];
  size_t count = 0, size = 0;
  if (__wasi_args_sizes_get(&count, &size) == 0 && count < 64 && size < sizeof buf &&
      __wasi_args_get((uint8_t**)ptrs, (uint8_t*)buf) == 0) {
    say("%s argc: %zu", who, count);
    for (size_t i = 0; i < count; ++i) say("%s arg: %s", who, ptrs[i]);
  } else {
    say("%s args: cannot read", who);
  }
  count = size = 0;
  if (__wasi_environ_sizes_get(&count, &size) == 0 && count < 64 && size < sizeof buf &&
      __wasi_environ_get((uint8_t**)ptrs, (uint8_t*)buf) == 0) {
    say("%s envc: %zu", who, count);
    for (size_t i = 0; i < count; ++i) say("%s env: %s", who, ptrs[i]);
  } else {
    say("%s environ: cannot read", who);
  }
  int preopens = 0;
  __wasi_fd_t last = 0;
  for (__wasi_fd_t fd = 3; fd < 64; ++fd) {
    __wasi_prestat_t pre;
    if (__wasi_fd_prestat_get(fd, &pre) != 0) break;
    char name[1024];
    size_t len = pre.u.dir.pr_name_len;
    if (len >= sizeof name || __wasi_fd_prestat_dir_name(fd, (uint8_t*)name, len) != 0) break;
    name[len] = 0;
    say("%s preopen: %s", who, name);
    ++preopens;
    last = fd;
  }
  say("%s preopens: %d", who, preopens);
  if (preopens > 0) {
    __wasi_fd_t file;
    __wasi_errno_t e =
        __wasi_path_open(last, 0, "hello.txt", 0, __WASI_RIGHTS_FD_READ, 0, 0, &file);
    if (e != 0) {
      say("%s hello.txt: errno %d", who, e);
    } else {
      char text[64] = {0};
      __wasi_iovec_t iov = {(uint8_t*)text, sizeof text - 1};
      size_t got = 0;
      (void)__wasi_fd_read(file, &iov, 1, &got);
      char* nl = strchr(text, '\n');
      if (nl) *nl = 0;
      say("%s hello.txt: %s", who, text);
      (void)__wasi_fd_close(file);
    }
  }
}

EXPORT("wasi_view_child") void wasi_view_child(int32_t label) {
  await_go();
  wasi_view(label);
}

static void run_view(int64_t config, int32_t label) {
  params_t p = {0};
  param_i32(&p, label);
  uint64_t child = 0;
  uint32_t s = spawn_fn(0, config, -1, "wasi_view_child", &p, &child);
  if (s != 0) {
    say("%s: spawn %u", view_name(label), s);
    return;
  }
  lunatic_monitor(child);
  send_go(child);
  if (!await_death(child, 10000)) say("%s: did not end", view_name(label));
}

static int wasi(const char* dir) {
  wasi_view(0);

  int64_t c = lunatic_create_config();
  const char* args[] = {"first", "second arg", "", "\xC3\xBCnicode"};
  for (int i = 0; i < 4; ++i) {
    lunatic_config_add_command_line_argument((uint64_t)c, LUNATIC_PTR(args[i]),
                                             (uint32_t)strlen(args[i]));
  }
  const char* env[][2] = {{"KEY", "value"}, {"EMPTY", ""}, {"EQUALS", "a=b=c"}};
  for (int i = 0; i < 3; ++i) {
    lunatic_config_add_environment_variable((uint64_t)c, LUNATIC_PTR(env[i][0]),
                                            (uint32_t)strlen(env[i][0]), LUNATIC_PTR(env[i][1]),
                                            (uint32_t)strlen(env[i][1]));
  }
  lunatic_config_preopen_dir((uint64_t)c, LUNATIC_PTR(dir), (uint32_t)strlen(dir));
  run_view(c, 1);
  run_view(lunatic_create_config(), 2);
  run_view(-1, 3);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) {
    say("usage: proc_config <mode> [arg]");
    return 2;
  }
  const char* m = argv[1];
  if (!strcmp(m, "defaults")) return defaults();
  if (!strcmp(m, "main_permissions") && argc == 3) return main_permissions(argv[2]);
  if (!strcmp(m, "permissions")) return permissions();
  if (!strcmp(m, "memory")) return memory();
  if (!strcmp(m, "fuel")) return fuel();
  if (!strcmp(m, "wasi") && argc == 3) return wasi(argv[2]);
  say("unknown mode %s", m);
  return 2;
}
