/* Version 1 of the counter of upgrade_counter.h, shared by the guests that run it
 * (upgrade_v1.c, upgrade_cluster.c): its state, its hand-over, its serving loop. */
#ifndef UPGRADE_COUNTER_V1_H
#define UPGRADE_COUNTER_V1_H

#include "upgrade_counter.h"

static struct counter_state state;

EXPORT("lunatic_upgrade_save") int32_t upgrade_save(void) {
  if (state.role == ROLE_OTHER) return 1;  // not a counter: nothing to hand over
  static const char version[] = "counter-v1";
  return (int32_t)lunatic_upgrade_save_state(LUNATIC_PTR(version), sizeof version - 1,
                                             LUNATIC_PTR(&state), sizeof state);
}

static void reply_line(void) {
  char text[128];
  snprintf(text, sizeof text, "v1 count=%lld last=%lld disorder=%lld", (long long)state.count,
           (long long)state.last_seq, (long long)state.disorder);
  counter_reply(text);
}

EXPORT("counter") void counter(int64_t role) {
  state.role = role;
  for (;;) {
    if (receive_any(LUNATIC_NO_TIMEOUT) != LUNATIC_MESSAGE_DATA) continue;
    if (lunatic_message_get_tag() == ADD_TAG) counter_add(&state);
    if (lunatic_message_get_tag() == GET_TAG) reply_line();
  }
}

#endif
