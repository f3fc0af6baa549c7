// proc_compile.wasm <compile_me.wasm> <compile_me_missing_import.wasm>: compile_module,
// spawning from a compiled module, drop_module, and compile errors.
//
// compile_me.wasm exports hello(parent: i64), which sends the parent an empty message with tag
// 99, and boom(), which traps.
#include <stdio.h>
#include <stdlib.h>

#include "proc_util.h"

#define HELLO_TAG 99

static uint8_t bytes[65536];

static int32_t compile(const uint8_t* data, uint32_t len, uint64_t* id) {
  return lunatic_compile_module(LUNATIC_PTR(data), len, LUNATIC_PTR(id));
}

// After go: compiles a module that is not wasm, and reports what compile_module returned.
EXPORT("compile_in_child") void compile_in_child(void) {
  await_go();
  uint8_t not_wasm[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  uint64_t id = 0;
  say("child without permission compile_module: %d", compile(not_wasm, sizeof not_wasm, &id));
}

// Spawns from a module id it was given (it belongs to another process).
EXPORT("use_module_id") void use_module_id(int64_t module_id, int64_t parent) {
  params_t p = {0};
  param_i64(&p, parent);
  uint64_t id = 0;
  uint32_t r = spawn_fn(0, -1, module_id, "hello", &p, &id);
  say("spawn from another process's module id returned %u", r);
}

static void report_compile_error(const char* what, const uint8_t* data, uint32_t len) {
  uint64_t id = 0;
  int32_t r = compile(data, len, &id);
  say("%s: %d", what, r);
  if (r == 1) {
    const char* text = error_text(id);
    say("%s error has a text: %s", what, text[0] ? "yes" : "no");
    say("%s error: %s", what, text);
  }
}

int main(int argc, char** argv) {
  if (argc != 3) {
    say("usage: proc_compile <compile_me.wasm> <compile_me_missing_import.wasm>");
    return 2;
  }
  uint32_t len = read_file(argv[1], bytes, sizeof bytes);
  if (len == 0) {
    say("cannot read %s", argv[1]);
    return 2;
  }
  uint64_t me = lunatic_process_id();
  params_t p = {0};
  param_i64(&p, (int64_t)me);

  uint64_t module = 0;
  say("compile_module: %d", compile(bytes, len, &module));
  uint64_t child = 0;
  say("spawn hello from it: %u", spawn_fn(0, -1, (int64_t)module, "hello", &p, &child));
  say("from hello: %s", describe_received(receive_tag(HELLO_TAG, 10000)));
  int64_t config = lunatic_create_config();
  say("spawn hello from it with a new config: %u",
      spawn_fn(0, config, (int64_t)module, "hello", &p, &child));
  say("from hello: %s", describe_received(receive_tag(HELLO_TAG, 10000)));

  lunatic_die_when_link_dies(0);
  say("spawn boom from it, linked: %u", spawn_fn(21, -1, (int64_t)module, "boom", 0, &child));
  report_next("boom", 10000);

  uint64_t second = 0;
  say("compile the same bytes again: %d", compile(bytes, len, &second));
  say("the two module ids differ: %s", second != module ? "yes" : "no");
  lunatic_drop_module(second);
  say("spawn from the first after dropping the second: %u",
      spawn_fn(0, -1, (int64_t)module, "hello", &p, &child));
  say("from hello: %s", describe_received(receive_tag(HELLO_TAG, 10000)));

  uint8_t junk[64] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  for (int i = 8; i < 64; ++i) junk[i] = (uint8_t)(i * 37);
  report_compile_error("compile junk", junk, sizeof junk);
  report_compile_error("compile nothing", bytes, 0);
  report_compile_error("compile half a module", bytes, len / 2);
  static uint8_t missing[4096];
  uint32_t missing_len = read_file(argv[2], missing, sizeof missing);
  report_compile_error("compile a module with an import the host lacks", missing, missing_len);

  int64_t denied = lunatic_create_config();
  uint64_t c = 0;
  spawn_fn(0, denied, -1, "compile_in_child", 0, &c);
  name_pid(c, "child");
  lunatic_monitor(c);
  send_go(c);
  report_next("child without permission", 10000);

  params_t q = {0};
  param_i64(&q, (int64_t)module);
  param_i64(&q, (int64_t)me);
  spawn_fn(23, -1, -1, "use_module_id", &q, &c);
  report_next("child using main's module id", 10000);

  lunatic_drop_module(module);
  say("main continues");
  return 0;
}
