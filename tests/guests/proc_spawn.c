// proc_spawn.wasm <mode>: lunatic::process::spawn.
//
//   params        i32 and i64 parameters arrive as given; a child is a fresh instance
//   many          1,000 children spawned one after another all run
//   negative_tag  a negative link tag comes back as given
//   get_or_spawn  the first call for a name spawns and registers it, the next finds it
//   bad_function  spawn of a function the module does not export
//   bad_signature spawn with parameters that do not fit the function
#include "proc_util.h"

#define VALUES_TAG 900
#define HELLO_TAG 901

int32_t g_value = 0;

// Sends the parent its parameters and what it sees of g_value.
EXPORT("echo_params") void echo_params(int32_t a, int64_t b, int32_t c, int64_t parent) {
  int64_t v[4] = {a, b, c, g_value};
  send_i64s((uint64_t)parent, VALUES_TAG, v, 4);
}

EXPORT("hello") void hello(int64_t parent, int32_t index) {
  int64_t v[1] = {index};
  send_i64s((uint64_t)parent, HELLO_TAG, v, 1);
}

static int params_mode(void) {
  g_value = 42;
  uint64_t me = lunatic_process_id();
  const int64_t cases[][3] = {
      {-5, 1ll << 40, 7}, {INT32_MIN, INT64_MIN, INT32_MAX}, {0, -1234567890123ll, -1}};
  for (int i = 0; i < 3; ++i) {
    params_t p = {0};
    param_i32(&p, (int32_t)cases[i][0]);
    param_i64(&p, cases[i][1]);
    param_i32(&p, (int32_t)cases[i][2]);
    param_i64(&p, (int64_t)me);
    if (spawn_or_report(0, "echo_params", &p) == 0) return 1;
    int64_t v[4] = {0, 0, 0, -1};
    uint32_t r = receive_tag(VALUES_TAG, 10000);
    if (r != LUNATIC_MESSAGE_DATA || read_i64s(v, 4) != 4) {
      say("no values: %s", describe_received(r));
      continue;
    }
    say("sent %lld %lld %lld, got %lld %lld %lld", (long long)cases[i][0], (long long)cases[i][1],
        (long long)cases[i][2], (long long)v[0], (long long)v[1], (long long)v[2]);
    say("the child's g_value: %lld", (long long)v[3]);
  }
  return 0;
}

static int many(void) {
  enum { N = 1000 };
  uint64_t me = lunatic_process_id();
  static uint8_t seen[N];
  int failed = 0;
  for (int32_t i = 0; i < N; ++i) {
    params_t p = {0};
    param_i64(&p, (int64_t)me);
    param_i32(&p, i);
    if (spawn_or_report(0, "hello", &p) == 0) ++failed;
  }
  int got = 0, duplicates = 0;
  while (got < N) {
    int64_t index = -1;
    if (receive_tag(HELLO_TAG, 10000) != LUNATIC_MESSAGE_DATA) break;
    read_i64s(&index, 1);
    if (index >= 0 && index < N) {
      if (seen[index]) ++duplicates;
      seen[index] = 1;
    }
    ++got;
  }
  say("spawn failures: %d", failed);
  say("children heard from: %d of %d, duplicates %d", got, N, duplicates);
  return 0;
}

static int negative_tag(void) {
  lunatic_die_when_link_dies(0);
  uint64_t child = 0;
  spawn_fn(-3, -1, -1, "child_trap", 0, &child);
  send_go(child);
  report_next("received", 10000);
  return 0;
}

// Spawns `fn` linked with tag 51 and `p`, then reports either the error spawn returned or what
// happened to the child.
static int spawn_and_report(const char* what, const char* fn, const params_t* p) {
  lunatic_die_when_link_dies(0);
  uint64_t id = 0;
  uint32_t r = spawn_fn(51, -1, -1, fn, p, &id);
  say("%s: spawn returned %u", what, r);
  if (r == 1) {
    say("%s: error: %s", what, error_text(id));
  } else if (r == 0) {
    report_next(what, 10000);
  }
  say("main continues");
  return 0;
}

static uint32_t get_or_spawn(const char* name, int32_t index, uint64_t* node, uint64_t* id) {
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  param_i32(&p, index);
  const char* fn = "hello";
  return lunatic_get_or_spawn(LUNATIC_PTR(name), (uint32_t)strlen(name), 0, -1, -1, LUNATIC_PTR(fn),
                              (uint32_t)strlen(fn), LUNATIC_PTR(p.bytes), p.len, LUNATIC_PTR(node),
                              LUNATIC_PTR(id));
}

// get_or_spawn: the first call for a name spawns and registers, a later one finds the process.
static int get_or_spawn_mode(void) {
  uint64_t node = 99, first = 0, again = 0, other = 0;
  say("first get_or_spawn: %u, node %llu", get_or_spawn("svc", 1, &node, &first),
      (unsigned long long)node);
  node = 99;
  say("second get_or_spawn: %u, node %llu, same process: %s", get_or_spawn("svc", 2, &node, &again),
      (unsigned long long)node, again == first ? "yes" : "no");
  say("another name: %u, a new process: %s", get_or_spawn("svc2", 3, &node, &other),
      other != first ? "yes" : "no");
  // Only the two spawned processes say hello: indexes 1 and 3.
  int64_t sum = 0;
  int hellos = 0;
  while (receive_tag(HELLO_TAG, 500) == LUNATIC_MESSAGE_DATA) {
    int64_t index = 0;
    read_i64s(&index, 1);
    sum += index;
    ++hellos;
  }
  say("hellos: %d, from indexes summing to %lld", hellos, (long long)sum);
  return 0;
}

static int bad_function(void) {
  return spawn_and_report("unknown function", "no_such_function_here", 0);
}

static int bad_signature(void) {
  params_t p = {0};
  param_i32(&p, 1);  // echo_params takes (i32, i64, i32, i64)
  return spawn_and_report("wrong parameters", "echo_params", &p);
}

int main(int argc, char** argv) {
  if (argc != 2) {
    say("usage: proc_spawn <mode>");
    return 2;
  }
  const char* m = argv[1];
  if (!strcmp(m, "params")) return params_mode();
  if (!strcmp(m, "many")) return many();
  if (!strcmp(m, "negative_tag")) return negative_tag();
  if (!strcmp(m, "get_or_spawn")) return get_or_spawn_mode();
  if (!strcmp(m, "bad_function")) return bad_function();
  if (!strcmp(m, "bad_signature")) return bad_signature();
  say("unknown mode %s", m);
  return 2;
}
