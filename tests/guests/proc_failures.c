// proc_failures.wasm <compile_me.wasm>: every bad id and bad pointer passed to lunatic::process,
// lunatic::wasi, lunatic::error, lunatic::message and lunatic::distributed functions kills only
// the caller.
//
// Each case runs in its own child, linked (tag 1000 + case) and monitored by main, which has
// die_when_link_dies(0). Main prints per case:
//   case <name> pid: <pid>
//   case <name>: trapped                 (a link-died with its tag and a process-died arrived)
// or another outcome that says what happened. A bystander process computes and sleeps meanwhile;
// at the end main checks that it and a newly spawned child still work, and returns 0.
#include <stdio.h>
#include <stdlib.h>

#include "proc_util.h"

#define ASK_TAG 600
#define COUNT_TAG 601
#define PONG_TAG 602
#define LINK_TAG_BASE 1000
#define UNKNOWN_ID 987654321u

static uint8_t module_bytes[65536];
static uint32_t module_len;

// A config or module id that exists in the calling child.
static uint64_t new_config(void) { return (uint64_t)lunatic_create_config(); }
static uint64_t new_module(void) {
  uint64_t id = 0;
  if (lunatic_compile_module(LUNATIC_PTR(module_bytes), module_len, LUNATIC_PTR(&id)) != 0) {
    say("compile_me.wasm did not compile in the child");
  }
  return id;
}
static uint64_t new_error(void) {
  uint8_t junk[12] = {0, 'a', 's', 'm', 1, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0xFF};
  uint64_t id = 0;
  if (lunatic_compile_module(LUNATIC_PTR(junk), sizeof junk, LUNATIC_PTR(&id)) != 1) {
    say("junk compiled without an error");
  }
  return id;
}

static const char name_ok[] = "child_return_now";
static const char bad_utf8[] = "\xFF\xFE\xFD";

static void spawn_raw(int64_t config, int64_t module, uint32_t fn, uint32_t fn_len, uint32_t params,
                      uint32_t params_len, uint32_t id_ptr) {
  lunatic_spawn(0, config, module, fn, fn_len, params, params_len, id_ptr);
}
static void spawn_with_params(const uint8_t* params, uint32_t len) {
  uint64_t id = 0;
  spawn_raw(-1, -1, LUNATIC_PTR(name_ok), sizeof name_ok - 1, LUNATIC_PTR(params), len,
            LUNATIC_PTR(&id));
}

// ---- the cases ----

static void c_get_max_memory(void) { (void)lunatic_config_get_max_memory(UNKNOWN_ID); }
static void c_set_max_memory(void) { lunatic_config_set_max_memory(UNKNOWN_ID, 1 << 20); }
static void c_get_max_fuel(void) { (void)lunatic_config_get_max_fuel(UNKNOWN_ID); }
static void c_set_max_fuel(void) { lunatic_config_set_max_fuel(UNKNOWN_ID, 1); }
static void c_can_compile(void) { (void)lunatic_config_can_compile_modules(UNKNOWN_ID); }
static void c_set_can_compile(void) { lunatic_config_set_can_compile_modules(UNKNOWN_ID, 1); }
static void c_can_create(void) { (void)lunatic_config_can_create_configs(UNKNOWN_ID); }
static void c_set_can_create(void) { lunatic_config_set_can_create_configs(UNKNOWN_ID, 1); }
static void c_can_spawn(void) { (void)lunatic_config_can_spawn_processes(UNKNOWN_ID); }
static void c_set_can_spawn(void) { lunatic_config_set_can_spawn_processes(UNKNOWN_ID, 1); }
static void c_drop_config(void) { lunatic_drop_config(UNKNOWN_ID); }
static void c_drop_config_twice(void) {
  uint64_t c = new_config();
  lunatic_drop_config(c);
  lunatic_drop_config(c);
}
static void c_config_after_drop(void) {
  uint64_t c = new_config();
  lunatic_drop_config(c);
  (void)lunatic_config_get_max_memory(c);
}
static void c_add_arg_unknown(void) {
  lunatic_config_add_command_line_argument(UNKNOWN_ID, LUNATIC_PTR(name_ok), 3);
}
static void c_add_env_unknown(void) {
  lunatic_config_add_environment_variable(UNKNOWN_ID, LUNATIC_PTR(name_ok), 3, LUNATIC_PTR(name_ok),
                                          3);
}
static void c_preopen_unknown(void) {
  lunatic_config_preopen_dir(UNKNOWN_ID, LUNATIC_PTR(name_ok), 1);
}
static void c_add_arg_bad_ptr(void) {
  lunatic_config_add_command_line_argument(new_config(), BAD_PTR, 16);
}
static void c_add_env_bad_key(void) {
  lunatic_config_add_environment_variable(new_config(), BAD_PTR, 16, LUNATIC_PTR(name_ok), 3);
}
static void c_add_env_bad_value(void) {
  lunatic_config_add_environment_variable(new_config(), LUNATIC_PTR(name_ok), 3, BAD_PTR, 16);
}
static void c_preopen_bad_ptr(void) { lunatic_config_preopen_dir(new_config(), BAD_PTR, 16); }
static void c_add_arg_bad_utf8(void) {
  lunatic_config_add_command_line_argument(new_config(), LUNATIC_PTR(bad_utf8), 3);
}
static void c_spawn_unknown_config(void) {
  uint64_t id = 0;
  spawn_raw((int64_t)UNKNOWN_ID, -1, LUNATIC_PTR(name_ok), sizeof name_ok - 1, 0, 0,
            LUNATIC_PTR(&id));
}
static void c_spawn_unknown_module(void) {
  uint64_t id = 0;
  spawn_raw(-1, (int64_t)UNKNOWN_ID, LUNATIC_PTR(name_ok), sizeof name_ok - 1, 0, 0,
            LUNATIC_PTR(&id));
}
static void c_spawn_params_16(void) {
  uint8_t p[16] = {LUNATIC_PARAM_I32, 1};
  spawn_with_params(p, sizeof p);
}
static void c_spawn_params_18(void) {
  uint8_t p[18] = {LUNATIC_PARAM_I32, 1};
  spawn_with_params(p, sizeof p);
}
static void c_spawn_param_type(void) {
  uint8_t p[17] = {0x7D, 1};  // f32: not a type spawn takes
  spawn_with_params(p, sizeof p);
}
static void c_spawn_bad_fn_ptr(void) {
  uint64_t id = 0;
  spawn_raw(-1, -1, BAD_PTR, 16, 0, 0, LUNATIC_PTR(&id));
}
static void c_spawn_fn_past_end(void) {
  uint64_t id = 0;
  spawn_raw(-1, -1, LUNATIC_PTR(name_ok), 0x10000000u, 0, 0, LUNATIC_PTR(&id));
}
static void c_spawn_fn_wrapping(void) {
  uint64_t id = 0;
  spawn_raw(-1, -1, 0xFFFFFFF0u, 0x20, 0, 0, LUNATIC_PTR(&id));
}
static void c_spawn_fn_utf8(void) {
  uint64_t id = 0;
  spawn_raw(-1, -1, LUNATIC_PTR(bad_utf8), 3, 0, 0, LUNATIC_PTR(&id));
}
static void c_spawn_bad_params_ptr(void) {
  uint64_t id = 0;
  spawn_raw(-1, -1, LUNATIC_PTR(name_ok), sizeof name_ok - 1, BAD_PTR, 17, LUNATIC_PTR(&id));
}
static void c_spawn_bad_id_ptr(void) {
  spawn_raw(-1, -1, LUNATIC_PTR(name_ok), sizeof name_ok - 1, 0, 0, BAD_PTR);
}
static void c_spawn_dropped_module(void) {
  uint64_t m = new_module();
  lunatic_drop_module(m);
  uint64_t id = 0;
  spawn_raw(-1, (int64_t)m, LUNATIC_PTR("hello"), 5, 0, 0, LUNATIC_PTR(&id));
}
static void c_compile_bad_data(void) {
  uint64_t id = 0;
  (void)lunatic_compile_module(BAD_PTR, 64, LUNATIC_PTR(&id));
}
static void c_compile_bad_id_ptr(void) {
  (void)lunatic_compile_module(LUNATIC_PTR(module_bytes), module_len, BAD_PTR);
}
static void c_drop_module_unknown(void) { lunatic_drop_module(UNKNOWN_ID); }
static void c_drop_module_twice(void) {
  uint64_t m = new_module();
  lunatic_drop_module(m);
  lunatic_drop_module(m);
}
static void c_error_size_unknown(void) { (void)lunatic_error_string_size(UNKNOWN_ID); }
static void c_error_text_unknown(void) {
  static char buf[256];
  lunatic_error_to_string(UNKNOWN_ID, LUNATIC_PTR(buf));
}
static void c_error_drop_unknown(void) { lunatic_error_drop(UNKNOWN_ID); }
static void c_error_text_bad_ptr(void) { lunatic_error_to_string(new_error(), BAD_PTR); }
static void c_error_after_drop(void) {
  uint64_t e = new_error();
  lunatic_error_drop(e);
  (void)lunatic_error_string_size(e);
}
static void c_receive_bad_tags(void) { (void)lunatic_message_receive(BAD_PTR, 2, 0); }
static void c_write_data_bad_ptr(void) {
  lunatic_message_create_data(1, 16);
  (void)lunatic_message_write_data(BAD_PTR, 16);
}
static void c_read_data_bad_ptr(void) {
  int64_t v[2] = {1, 2};
  send_i64s(lunatic_process_id(), 77, v, 2);
  (void)receive_tag(77, 10000);
  (void)lunatic_message_read_data(BAD_PTR, 16);
}
// The go message is still in the scratch area: sending it (to itself) takes it out.
static void c_get_tag_no_message(void) {
  (void)lunatic_message_send(lunatic_process_id());
  (void)lunatic_message_get_tag();
}
static void c_send_no_message(void) {
  (void)lunatic_message_send(lunatic_process_id());
  (void)lunatic_message_send(lunatic_process_id());
}
static void c_get_nodes_bad_ptr(void) { (void)lunatic_distributed_get_nodes(BAD_PTR, 4); }
static void c_dist_spawn_bad_fn(void) {
  uint64_t id = 0;
  (void)lunatic_distributed_spawn(0, -1, lunatic_distributed_module_id(), BAD_PTR, 16, 0, 0,
                                  LUNATIC_PTR(&id));
}
static void c_dist_spawn_bad_id_ptr(void) {
  (void)lunatic_distributed_spawn(0, -1, lunatic_distributed_module_id(), LUNATIC_PTR(name_ok),
                                  sizeof name_ok - 1, 0, 0, BAD_PTR);
}

static const struct {
  const char* name;
  void (*run)(void);
} cases[] = {
    {"config_get_max_memory of an unknown config", c_get_max_memory},
    {"config_set_max_memory of an unknown config", c_set_max_memory},
    {"config_get_max_fuel of an unknown config", c_get_max_fuel},
    {"config_set_max_fuel of an unknown config", c_set_max_fuel},
    {"config_can_compile_modules of an unknown config", c_can_compile},
    {"config_set_can_compile_modules of an unknown config", c_set_can_compile},
    {"config_can_create_configs of an unknown config", c_can_create},
    {"config_set_can_create_configs of an unknown config", c_set_can_create},
    {"config_can_spawn_processes of an unknown config", c_can_spawn},
    {"config_set_can_spawn_processes of an unknown config", c_set_can_spawn},
    {"drop_config of an unknown config", c_drop_config},
    {"drop_config twice", c_drop_config_twice},
    {"a config used after drop_config", c_config_after_drop},
    {"config_add_command_line_argument of an unknown config", c_add_arg_unknown},
    {"config_add_environment_variable of an unknown config", c_add_env_unknown},
    {"config_preopen_dir of an unknown config", c_preopen_unknown},
    {"config_add_command_line_argument with a bad pointer", c_add_arg_bad_ptr},
    {"config_add_environment_variable with a bad key pointer", c_add_env_bad_key},
    {"config_add_environment_variable with a bad value pointer", c_add_env_bad_value},
    {"config_preopen_dir with a bad pointer", c_preopen_bad_ptr},
    {"config_add_command_line_argument with invalid UTF-8", c_add_arg_bad_utf8},
    {"spawn with an unknown config", c_spawn_unknown_config},
    {"spawn with an unknown module", c_spawn_unknown_module},
    {"spawn with 16 bytes of params", c_spawn_params_16},
    {"spawn with 18 bytes of params", c_spawn_params_18},
    {"spawn with param type 0x7D", c_spawn_param_type},
    {"spawn with a bad function name pointer", c_spawn_bad_fn_ptr},
    {"spawn with a function name past the end of memory", c_spawn_fn_past_end},
    {"spawn with a function name range that wraps 2^32", c_spawn_fn_wrapping},
    {"spawn with a function name of invalid UTF-8", c_spawn_fn_utf8},
    {"spawn with a bad params pointer", c_spawn_bad_params_ptr},
    {"spawn with a bad id pointer", c_spawn_bad_id_ptr},
    {"spawn from a dropped module", c_spawn_dropped_module},
    {"compile_module with a bad data pointer", c_compile_bad_data},
    {"compile_module with a bad id pointer", c_compile_bad_id_ptr},
    {"drop_module of an unknown module", c_drop_module_unknown},
    {"drop_module twice", c_drop_module_twice},
    {"error string_size of an unknown error", c_error_size_unknown},
    {"error to_string of an unknown error", c_error_text_unknown},
    {"error drop of an unknown error", c_error_drop_unknown},
    {"error to_string with a bad pointer", c_error_text_bad_ptr},
    {"error string_size after drop", c_error_after_drop},
    {"receive with a bad tags pointer", c_receive_bad_tags},
    {"write_data with a bad pointer", c_write_data_bad_ptr},
    {"read_data with a bad pointer", c_read_data_bad_ptr},
    {"get_tag without a message", c_get_tag_no_message},
    {"send without a message", c_send_no_message},
    {"distributed get_nodes with a bad pointer", c_get_nodes_bad_ptr},
    {"distributed spawn with a bad function name pointer", c_dist_spawn_bad_fn},
    {"distributed spawn with a bad id pointer", c_dist_spawn_bad_id_ptr},
};
enum { CASES = sizeof cases / sizeof cases[0] };

// After the go message (which carries compile_me.wasm), runs case `index`. A case that returns
// says so.
EXPORT("run_case") void run_case(int32_t index) {
  uint32_t r = receive_tag(GO_TAG, LUNATIC_NO_TIMEOUT);
  if (r == LUNATIC_MESSAGE_DATA) {
    module_len = lunatic_message_read_data(LUNATIC_PTR(module_bytes), sizeof module_bytes);
  }
  if (index < 0 || index >= CASES) return;
  cases[index].run();
  say("case %s: the call returned", cases[index].name);
}

// Computes and sleeps in turns until asked, then answers with how many rounds it did.
EXPORT("bystander") void bystander(int64_t parent) {
  int64_t rounds = 0;
  for (;;) {
    volatile uint32_t n = 0;
    for (uint32_t i = 0; i < 100000; ++i) n = n + i;
    ++rounds;
    if (receive_tag(ASK_TAG, 1) == LUNATIC_MESSAGE_DATA) break;
  }
  send_i64s((uint64_t)parent, COUNT_TAG, &rounds, 1);
}

EXPORT("pong") void pong(int64_t parent) { send_i64s((uint64_t)parent, PONG_TAG, 0, 0); }

static void run_one(int32_t i) {
  params_t p = {0};
  param_i32(&p, i);
  uint64_t child = 0;
  uint32_t s = spawn_fn(LINK_TAG_BASE + i, -1, -1, "run_case", &p, &child);
  if (s != 0) {
    say("case %s: spawn %u", cases[i].name, s);
    return;
  }
  say("case %s pid: %llu", cases[i].name, (unsigned long long)child);
  lunatic_monitor(child);
  lunatic_message_create_data(GO_TAG, module_len);
  lunatic_message_write_data(LUNATIC_PTR(module_bytes), module_len);
  lunatic_message_send(child);
  int linked = 0, died = 0, timeout = 0;
  for (int k = 0; k < 2 && !timeout; ++k) {
    uint32_t r = receive_any(10000);
    if (r == LUNATIC_MESSAGE_LINK_DIED && lunatic_message_get_tag() == LINK_TAG_BASE + i) {
      ++linked;
    } else if (r == LUNATIC_MESSAGE_PROCESS_DIED && lunatic_message_get_process_id() == child) {
      ++died;
    } else if (r == LUNATIC_TIMEOUT) {
      timeout = 1;
    } else {
      say("case %s: unexpected %s", cases[i].name, describe_received(r));
    }
  }
  if (linked == 1 && died == 1) {
    say("case %s: trapped", cases[i].name);
  } else {
    say("case %s: link-died %d, process-died %d%s", cases[i].name, linked, died,
        timeout ? ", then nothing for 10 s" : "");
  }
}

int main(int argc, char** argv) {
  if (argc != 2) {
    say("usage: proc_failures <compile_me.wasm>");
    return 2;
  }
  FILE* f = fopen(argv[1], "rb");
  if (!f) {
    say("cannot open %s", argv[1]);
    return 2;
  }
  module_len = (uint32_t)fread(module_bytes, 1, sizeof module_bytes, f);
  fclose(f);

  lunatic_die_when_link_dies(0);
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t bystander_pid = spawn_or_report(0, "bystander", &p);

  for (int32_t i = 0; i < CASES; ++i) run_one(i);

  send_i64s(bystander_pid, ASK_TAG, 0, 0);
  int64_t rounds = 0;
  uint32_t r = receive_tag(COUNT_TAG, 10000);
  if (r == LUNATIC_MESSAGE_DATA) read_i64s(&rounds, 1);
  say("bystander kept running: %s", rounds > 0 ? "yes" : "no");
  spawn_or_report(0, "pong", &p);
  say("a new child still runs: %s",
      receive_tag(PONG_TAG, 10000) == LUNATIC_MESSAGE_DATA ? "yes" : "no");
  say("cases: %d", CASES);
  return 0;
}
