/* The counter server that the upgrade_* guests share: version 1 in upgrade_v1.c, version 2 in
 * upgrade_v2.c (and a version 2 whose conversion traps, upgrade_v2_bad.c). Its protocol stays
 * the same across versions:
 *   tag ADD_TAG, data [seq, amount]: adds amount; a seq that is not last+1 counts as disorder
 *   tag GET_TAG, data [reply_pid, reply_tag]: replies with one line of text (its version's)
 * The state a version hands over is struct counter_state, named by the version that wrote it. */
#ifndef UPGRADE_COUNTER_H
#define UPGRADE_COUNTER_H

#include "proc_util.h"

#define ADD_TAG 1
#define GET_TAG 2
#define FLOOD_HALF_TAG 6
#define FLOOD_DONE_TAG 7

enum role { ROLE_OTHER = 0, ROLE_COUNTER = 1, ROLE_SLEEPER = 2 };

struct counter_state {
  int64_t count;
  int64_t last_seq;
  int64_t disorder;
  int64_t role;
};

/* Handles an ADD in the message just received. */
static inline void counter_add(struct counter_state* s) {
  int64_t values[2] = {0, 0};
  if (read_i64s(values, 2) != 2) return;
  if (values[0] != s->last_seq + 1) ++s->disorder;
  s->last_seq = values[0];
  s->count += values[1];
}

/* Replies to the GET just received with `text`. */
static inline void counter_reply(const char* text) {
  int64_t values[2] = {0, 0};
  if (read_i64s(values, 2) != 2) return;
  lunatic_message_create_data(values[1], strlen(text));
  lunatic_message_write_data(LUNATIC_PTR(text), (uint32_t)strlen(text));
  lunatic_message_send((uint64_t)values[0]);
}

/* Asks `pid` for its line and prints "<what>: <line>" (or why there is none). */
static inline void counter_get(const char* what, uint64_t pid) {
  static int64_t next_tag = 1000;
  int64_t request[2] = {(int64_t)lunatic_process_id(), ++next_tag};
  send_i64s(pid, GET_TAG, request, 2);
  if (receive_tag(request[1], 5000) != LUNATIC_MESSAGE_DATA) {
    say("%s: no reply", what);
    return;
  }
  char text[256];
  uint32_t n = lunatic_message_read_data(LUNATIC_PTR(text), sizeof text - 1);
  text[n] = 0;
  say("%s: %s", what, text);
}

static inline void counter_add_to(uint64_t pid, int64_t seq, int64_t amount) {
  int64_t values[2] = {seq, amount};
  send_i64s(pid, ADD_TAG, values, 2);
}

#endif
