/* The "upgrade" benchmark, version 2: what upgrade_v1.c's idle processes move to. Its load takes
 * only version 1's 1 KiB state, and only when every word still holds the pattern of its seed (a
 * refusal leaves the process on version 1 and counts as a failure of the upgrade); it keeps the
 * state and its checksum, which it sends with its answer to stop. */
#include "upgrade_bench.h"

static uint32_t state[STATE_WORDS];
static uint64_t checksum;

EXPORT("lunatic_upgrade_load") int32_t upgrade_load(void) {
  char version[sizeof V1_VERSION];
  if (lunatic_upgrade_state_size() != (int64_t)sizeof state) return 1;
  if (lunatic_upgrade_old_version_size() != (int64_t)sizeof V1_VERSION - 1) return 2;
  lunatic_upgrade_read_old_version(LUNATIC_PTR(version));
  if (memcmp(version, V1_VERSION, sizeof V1_VERSION - 1) != 0) return 2;
  lunatic_upgrade_read_state(LUNATIC_PTR(state));
  for (uint32_t i = 1; i < STATE_WORDS; i++) {
    if (state[i] != pattern_word(state[0], i)) return 3;
  }
  checksum = state_checksum(state);
  return 0;
}

EXPORT("lunatic_upgrade_resume") void upgrade_resume(void) {
  for (;;) {
    if (lunatic_message_receive(0, 0, LUNATIC_NO_TIMEOUT) != LUNATIC_MESSAGE_DATA) continue;
    uint64_t reply_to = 0;
    if (lunatic_message_get_tag() != TAG_STOP || read_u64s(&reply_to, 1) != 1) continue;
    uint64_t done[3] = {state[0], checksum, 2};
    send_u64s(reply_to, TAG_DONE, done, 3);
    return;
  }
}

int main(void) { return 2; } /* compiled by upgrade_v1.wasm, never run */
