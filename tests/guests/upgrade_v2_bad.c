// upgrade_v2_bad.wasm: a version 2 of the counter whose conversion traps, so an upgrade to it
// must leave version 1 running with its state.
#include "upgrade_counter.h"

EXPORT("lunatic_upgrade_load") int32_t upgrade_load(void) {
  if (lunatic_upgrade_state_size() > 0) __builtin_trap();
  return 0;
}

EXPORT("lunatic_upgrade_resume") void upgrade_resume(void) {
  for (;;) receive_any(LUNATIC_NO_TIMEOUT);
}

int main(void) {
  say("upgrade_v2_bad is loaded by upgrade_v1, not run");
  return 2;
}
