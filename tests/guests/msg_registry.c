// msg_registry.wasm <mode>: lunatic::registry (put, get, remove) as Lunatic 0.13 defines it,
// and lunatic::process::get_or_spawn sharing its names.
//
//   basics           put, get, replace, remove; names are exact (case, prefixes, empty name)
//   shared           a name put in one process is seen by another; get_or_spawn finds a put
//                    name, and get finds a name get_or_spawn registered
//   stale            a name outlives its process until it is removed (as in Lunatic)
//   race N           N processes call get_or_spawn on one name at once: exactly one process
//                    is spawned and every caller gets its id
//   bad FN WHAT      FN (put, get, remove) with WHAT (name_oob, not_utf8, out_oob): traps
#include <stdlib.h>

#include "proc_util.h"

#define STARTED_TAG 300
#define GOT_TAG 301

static void put(const char* name, uint64_t pid) {
  lunatic_registry_put(LUNATIC_PTR(name), (uint32_t)strlen(name), 0, pid);
}

// "found node N pid P", or "not found".
static const char* lookup(const char* name) {
  static char text[64];
  uint64_t node = 77, pid = 77;
  uint32_t r = lunatic_registry_get(LUNATIC_PTR(name), (uint32_t)strlen(name), LUNATIC_PTR(&node),
                                    LUNATIC_PTR(&pid));
  if (r == 1) return "not found";
  snprintf(text, sizeof text, "found node %llu %s", (unsigned long long)node,
           r == 0 ? pid_label(pid) : "(unexpected result)");
  return text;
}

static int basics(void) {
  name_pid(1001, "pid 1001");
  name_pid(1002, "pid 1002");
  say("get before put: %s", lookup("server"));
  put("server", 1001);
  say("get after put: %s", lookup("server"));
  say("get of another name: %s", lookup("Server"));
  say("get of a prefix: %s", lookup("serve"));
  put("server", 1002);
  say("get after a second put: %s", lookup("server"));
  put("", 1001);
  say("the empty name: %s", lookup(""));
  put("\xc3\xa9t\xc3\xa9", 1001);  // "été"
  say("a UTF-8 name: %s", lookup("\xc3\xa9t\xc3\xa9"));
  lunatic_registry_remove(LUNATIC_PTR("server"), 6);
  say("get after remove: %s", lookup("server"));
  lunatic_registry_remove(LUNATIC_PTR("server"), 6);
  lunatic_registry_remove(LUNATIC_PTR("never-put"), 9);
  say("removing a missing name changes nothing: %s", lookup(""));
  return 0;
}

// Looks `name` up and sends the parent what it found: [found, pid].
EXPORT("looker") void looker(int64_t parent) {
  uint64_t node = 0, pid = 0;
  uint32_t r =
      lunatic_registry_get(LUNATIC_PTR("by-main"), 7, LUNATIC_PTR(&node), LUNATIC_PTR(&pid));
  int64_t v[2] = {r == 0, (int64_t)pid};
  send_i64s((uint64_t)parent, GOT_TAG, v, 2);
}

// Registered by get_or_spawn: tells the parent it started, then waits until killed.
EXPORT("named_child") void named_child(int64_t parent) {
  int64_t me = (int64_t)lunatic_process_id();
  send_i64s((uint64_t)parent, STARTED_TAG, &me, 1);
  for (;;) (void)receive_tag(0x7FFF, LUNATIC_NO_TIMEOUT);
}

static uint32_t get_or_spawn(const char* name, uint64_t parent, uint64_t* pid) {
  params_t p = {0};
  param_i64(&p, (int64_t)parent);
  uint64_t node = 99;
  const char* fn = "named_child";
  return lunatic_get_or_spawn(LUNATIC_PTR(name), (uint32_t)strlen(name), 0, -1, -1, LUNATIC_PTR(fn),
                              (uint32_t)strlen(fn), LUNATIC_PTR(p.bytes), p.len, LUNATIC_PTR(&node),
                              LUNATIC_PTR(pid));
}

static int shared(void) {
  uint64_t me = lunatic_process_id();
  name_pid(me, "main");
  put("by-main", me);
  params_t p = {0};
  param_i64(&p, (int64_t)me);
  if (spawn_or_report(0, "looker", &p) == 0) return 1;
  int64_t v[2] = {0, 0};
  if (receive_tag(GOT_TAG, 5000) == LUNATIC_MESSAGE_DATA) read_i64s(v, 2);
  say("another process finds main's name: %s", v[0] == 1 && (uint64_t)v[1] == me ? "yes" : "no");
  uint64_t pid = 0;
  say("get_or_spawn of a put name: %u (2: found), %s", get_or_spawn("by-main", me, &pid),
      pid_label(pid));
  uint32_t r = get_or_spawn("by-get-or-spawn", me, &pid);
  name_pid(pid, "the spawned child");
  say("get_or_spawn of a new name: %u (0: spawned)", r);
  say("get of that name: %s", lookup("by-get-or-spawn"));
  say("the child started: %s",
      receive_tag(STARTED_TAG, 5000) == LUNATIC_MESSAGE_DATA ? "yes" : "no");
  lunatic_kill(pid);
  return 0;
}

static int stale(void) {
  uint64_t child = spawn_or_report(0, "child_normal", 0);
  if (child == 0) return 1;
  name_pid(child, "the ended child");
  put("gone", child);
  lunatic_monitor(child);
  send_go(child);
  say("child ended: %s", await_death(child, 5000) ? "yes" : "no");
  say("its name: %s", lookup("gone"));
  lunatic_registry_remove(LUNATIC_PTR("gone"), 4);
  say("after remove: %s", lookup("gone"));
  return 0;
}

// Waits for go, calls get_or_spawn("the-one"), and sends the parent [result, pid].
EXPORT("racer") void racer(int64_t parent) {
  await_go();
  uint64_t pid = 0;
  uint32_t r = get_or_spawn("the-one", (uint64_t)parent, &pid);
  int64_t v[2] = {r, (int64_t)pid};
  send_i64s((uint64_t)parent, GOT_TAG, v, 2);
}

static int race(int n) {
  uint64_t me = lunatic_process_id();
  uint64_t* racers = malloc((size_t)n * sizeof *racers);
  params_t p = {0};
  param_i64(&p, (int64_t)me);
  for (int i = 0; i < n; ++i) {
    racers[i] = spawn_or_report(0, "racer", &p);
    if (racers[i] == 0) return 1;
  }
  for (int i = 0; i < n; ++i) send_go(racers[i]);
  int answers = 0, spawned = 0, found = 0, other = 0, disagree = 0;
  int64_t the_pid = -1;
  while (answers < n) {
    if (receive_tag(GOT_TAG, 10000) != LUNATIC_MESSAGE_DATA) break;
    int64_t v[2] = {-1, -1};
    read_i64s(v, 2);
    ++answers;
    if (v[0] == 0)
      ++spawned;
    else if (v[0] == 2)
      ++found;
    else
      ++other;
    if (the_pid == -1) the_pid = v[1];
    disagree += v[1] != the_pid;
  }
  int started = 0;
  int64_t started_pid = -1;
  while (receive_tag(STARTED_TAG, 300) == LUNATIC_MESSAGE_DATA) {
    ++started;
    read_i64s(&started_pid, 1);
  }
  say("answers: %d, spawned: %d, found: %d, other: %d", answers, spawned, found, other);
  say("every caller got the same process: %s", disagree == 0 ? "yes" : "no");
  say("processes started: %d, the one registered: %s", started,
      started == 1 && started_pid == the_pid ? "yes" : "no");
  if (the_pid > 0) lunatic_kill((uint64_t)the_pid);
  return 0;
}

static int bad(const char* fn, const char* what) {
  const char* name = "x";
  uint32_t name_ptr = LUNATIC_PTR(name), name_len = 1;
  uint32_t out = LUNATIC_PTR(&name_len);  // any valid, writable address
  if (!strcmp(what, "name_oob"))
    name_ptr = BAD_PTR, name_len = 64;
  else if (!strcmp(what, "not_utf8"))
    name = "\xff\xfe", name_ptr = LUNATIC_PTR(name), name_len = 2;
  else if (!strcmp(what, "out_oob"))
    out = BAD_PTR;
  else
    return 2;
  put("x", 5);  // so that get finds "x" and writes its answer
  say("calling %s with %s", fn, what);
  uint64_t node = 0;
  if (!strcmp(fn, "put"))
    lunatic_registry_put(name_ptr, name_len, 0, 1);
  else if (!strcmp(fn, "get"))
    lunatic_registry_get(name_ptr, name_len, LUNATIC_PTR(&node), out);
  else if (!strcmp(fn, "remove"))
    lunatic_registry_remove(name_ptr, name_len);
  else
    return 2;
  say("%s returned", fn);
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* mode = argv[1];
  if (!strcmp(mode, "basics")) return basics();
  if (!strcmp(mode, "shared")) return shared();
  if (!strcmp(mode, "stale")) return stale();
  if (!strcmp(mode, "race") && argc > 2) return race(atoi(argv[2]));
  if (!strcmp(mode, "bad") && argc > 3) return bad(argv[2], argv[3]);
  return 2;
}
