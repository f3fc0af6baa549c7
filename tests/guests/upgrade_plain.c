// upgrade_plain.wasm: code with no upgrade entry points, loaded by upgrade_v1: processes that
// cannot hand their state over, and a flooder that sends numbered adds (upgrade_counter.h).
#include "upgrade_counter.h"

EXPORT("waiter") void waiter(void) {
  for (;;) receive_any(LUNATIC_NO_TIMEOUT);
}

// Sends `count` adds of 1 to `target`, numbered from 3 (the counter has seen 1 and 2), telling
// `parent` when half are sent (it upgrades the target then) and when all are.
EXPORT("flood") void flood(int64_t target, int64_t count, int64_t parent) {
  for (int64_t i = 0; i < count; ++i) {
    if (i == count / 2) send_i64s((uint64_t)parent, FLOOD_HALF_TAG, 0, 0);
    counter_add_to((uint64_t)target, i + 3, 1);
  }
  send_i64s((uint64_t)parent, FLOOD_DONE_TAG, 0, 0);
}

int main(void) {
  say("upgrade_plain is loaded by upgrade_v1, not run");
  return 2;
}
