// proc_trap_catch.wasm: lunatic::trap::catch calls the export _lunatic_catch_trap(function,
// pointer) and returns its result, or 0 if it trapped; the process goes on either way.
//
//   <what>: <result>        for callees that trap in different ways and that return normally
//   state kept: yes         memory written before a caught trap is still there
//   linked child: ...       a child that catches a trap and ends normally is not a failure
#include "proc_util.h"

#define CONTINUED_TAG 700

int32_t g_zero = 0;              // not const: the compiler cannot know it is zero
volatile int32_t g_counter = 0;  // volatile: the stores before a trap must stay

EXPORT("_lunatic_catch_trap") int32_t lunatic_catch_trap(int32_t function, int32_t pointer) {
  return ((int32_t(*)(int32_t))(uintptr_t)function)(pointer);
}

__attribute__((noinline)) static int32_t returns_arg(int32_t x) { return x; }

__attribute__((noinline)) static int32_t unreachable_here(int32_t x) {
  g_counter += x;
  __builtin_trap();
}

__attribute__((noinline)) static int32_t divide_by_zero(int32_t x) { return x / g_zero; }

__attribute__((noinline)) static int32_t load_out_of_bounds(int32_t x) {
  return *(volatile int32_t*)(uintptr_t)(BAD_PTR + (uint32_t)x);
}

__attribute__((noinline)) static int32_t host_traps(int32_t x) {
  lunatic_drop_config(987654321);
  return x;
}

__attribute__((noinline)) static int32_t catches_inner_trap(int32_t x) {
  int32_t inner = lunatic_trap_catch((int32_t)(uintptr_t)unreachable_here, 1);
  return inner + x;
}

#define FN(f) ((int32_t)(uintptr_t)(f))

// After go: catches a trap, tells the parent it went on, and returns.
EXPORT("catcher") void catcher(int64_t parent) {
  await_go();
  int64_t v[1] = {lunatic_trap_catch(FN(unreachable_here), 1)};
  send_i64s((uint64_t)parent, CONTINUED_TAG, v, 1);
}

int main(void) {
  say("returns 42: %d", lunatic_trap_catch(FN(returns_arg), 42));
  say("returns -7: %d", lunatic_trap_catch(FN(returns_arg), -7));
  say("unreachable: %d", lunatic_trap_catch(FN(unreachable_here), 5));
  say("divide by zero: %d", lunatic_trap_catch(FN(divide_by_zero), 5));
  say("out of bounds load: %d", lunatic_trap_catch(FN(load_out_of_bounds), 0));
  say("host function trap: %d", lunatic_trap_catch(FN(host_traps), 9));
  say("nested catch: %d", lunatic_trap_catch(FN(catches_inner_trap), 10));
  for (int i = 0; i < 1000; ++i) (void)lunatic_trap_catch(FN(unreachable_here), 0);
  say("1000 more caught traps: done");
  // unreachable_here added 5, then 1 in the nested call, before trapping.
  say("state kept: %s", g_counter == 6 ? "yes" : "no");

  lunatic_die_when_link_dies(0);
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t child = 0;
  spawn_fn(70, -1, -1, "catcher", &p, &child);
  name_pid(child, "catcher");
  lunatic_monitor(child);
  send_go(child);
  uint32_t r = receive_tag(CONTINUED_TAG, 10000);
  int64_t caught = -1;
  if (r == LUNATIC_MESSAGE_DATA) read_i64s(&caught, 1);
  say("linked child went on after catching: %s (catch returned %lld)",
      r == LUNATIC_MESSAGE_DATA ? "yes" : "no", (long long)caught);
  report_next("then", 10000);
  report_next("then", 300);
  say("main continues");
  return 0;
}
