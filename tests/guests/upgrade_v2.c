// upgrade_v2.wasm: version 2 of the counter (upgrade_counter.h), the target of upgrade_v1's
// upgrades. It converts the state version 1 hands over (and its own, named counter-v2), keeps
// the name of the version it came from, and answers GET with a v2 line.
#include "upgrade_counter.h"

static struct counter_state state;
static char came_from[64];

EXPORT("lunatic_upgrade_load") int32_t upgrade_load(void) {
  if (lunatic_upgrade_state_size() != (int64_t)sizeof state) return 1;
  int64_t version_size = lunatic_upgrade_old_version_size();
  if (version_size <= 0 || version_size >= (int64_t)sizeof came_from) return 2;
  lunatic_upgrade_read_old_version(LUNATIC_PTR(came_from));
  came_from[version_size] = 0;
  if (strcmp(came_from, "counter-v1") != 0 && strcmp(came_from, "counter-v2") != 0) return 3;
  lunatic_upgrade_read_state(LUNATIC_PTR(&state));
  return 0;
}

EXPORT("lunatic_upgrade_save") int32_t upgrade_save(void) {
  static const char version[] = "counter-v2";
  return (int32_t)lunatic_upgrade_save_state(LUNATIC_PTR(version), sizeof version - 1,
                                             LUNATIC_PTR(&state), sizeof state);
}

static void reply_line(void) {
  char text[160];
  snprintf(text, sizeof text, "v2 count=%lld last=%lld disorder=%lld from=%s",
           (long long)state.count, (long long)state.last_seq, (long long)state.disorder, came_from);
  counter_reply(text);
}

EXPORT("lunatic_upgrade_resume") void upgrade_resume(void) {
  if (state.role == ROLE_SLEEPER) {
    for (;;) {
      lunatic_sleep_ms(5);
      lunatic_upgrade_checkpoint();
      if (receive_tag(GET_TAG, 0) == LUNATIC_MESSAGE_DATA) reply_line();
    }
  }
  for (;;) {
    if (receive_any(LUNATIC_NO_TIMEOUT) != LUNATIC_MESSAGE_DATA) continue;
    if (lunatic_message_get_tag() == ADD_TAG) counter_add(&state);
    if (lunatic_message_get_tag() == GET_TAG) reply_line();
  }
}

int main(void) {
  say("upgrade_v2 is loaded by upgrade_v1, not run");
  return 2;
}
