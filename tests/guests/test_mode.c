// test_mode.wasm: exports named as lunatic-rs's #[lunatic::test] names them, for `lunatic test`.
// A "panic" is what Rust prints on stderr before it aborts (a trap).
#include <stdio.h>
#include <unistd.h>

#include "proc_util.h"

static void rust_panic(const char* message) {
  fprintf(stderr, "thread 'main' panicked at '%s', src/lib.rs:7:5\n", message);
  fflush(stderr);
  __builtin_trap();
}

EXPORT("#lunatic_test_passes") void passes(void) { say("output of passes"); }

EXPORT("#lunatic_test_fails_with_a_panic") void fails_with_a_panic(void) {
  say("output of fails_with_a_panic");
  rust_panic("assertion failed: 1 == 2");
}

EXPORT("#lunatic_test_fails_with_a_trap") void fails_with_a_trap(void) { __builtin_trap(); }

EXPORT("#lunatic_test_fails_with_exit_code") void fails_with_exit_code(void) {
  __wasi_proc_exit(3);
}

EXPORT("#lunatic_test_passes_with_proc_exit_zero") void passes_with_proc_exit_zero(void) {
  __wasi_proc_exit(0);
}

EXPORT("#lunatic_test_#ignore_slow") void slow(void) { say("output of slow"); }

EXPORT("#lunatic_test_#ignore_#panic_#ignored_and_panics") void ignored_and_panics(void) {
  rust_panic("ignored");
}

EXPORT("#lunatic_test_#panic_#should_panic_any") void should_panic_any(void) {
  rust_panic("anything at all");
}

EXPORT("#lunatic_test_#panic_boom#should_panic_with_boom") void should_panic_with_boom(void) {
  rust_panic("big boom here");
}

EXPORT("#lunatic_test_#panic_a\\#b#should_panic_with_hash") void should_panic_with_hash(void) {
  rust_panic("a#b");
}

EXPORT("#lunatic_test_#panic_boom#should_panic_but_other_message") void should_panic_other(void) {
  rust_panic("fizzle");
}

EXPORT("#lunatic_test_#panic_boom#should_panic_but_returns") void should_panic_returns(void) {}

EXPORT("#lunatic_test_#panic_#should_panic_trap_counts") void should_panic_trap(void) {
  __builtin_trap();
}

// A child of a test writes into the test's captured output.
EXPORT("child_says") void child_says(int64_t parent) {
  say("output of a child");
  send_i64s((uint64_t)parent, 1, 0, 0);
}

EXPORT("#lunatic_test_spawns_a_child") void spawns_a_child(void) {
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  if (spawn_or_report(0, "child_says", &p) == 0) __builtin_trap();
  if (receive_tag(1, 5000) != LUNATIC_MESSAGE_DATA) __builtin_trap();
  say("output of spawns_a_child");
}

// Each test has a registry of its own, as in Lunatic: this name is never already taken.
EXPORT("#lunatic_test_registry_is_per_test_a") void registry_a(void) {
  uint64_t node, pid;
  if (lunatic_registry_get(LUNATIC_PTR("mine"), 4, LUNATIC_PTR(&node), LUNATIC_PTR(&pid)) == 0)
    __builtin_trap();
  lunatic_registry_put(LUNATIC_PTR("mine"), 4, 0, lunatic_process_id());
  lunatic_sleep_ms(100);
}

EXPORT("#lunatic_test_registry_is_per_test_b") void registry_b(void) { registry_a(); }

// Waits for a message nothing sends: the test never ends.
EXPORT("#lunatic_test_#ignore_hangs") void hangs(void) { receive_any(LUNATIC_NO_TIMEOUT); }

// Not a test: a function that only looks like one is not listed.
EXPORT("lunatic_test_not_quite") void not_quite(void) {}

int main(void) {
  say("main is not run in test mode");
  return 0;
}
