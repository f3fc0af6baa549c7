// msg_timers.wasm <mode>: lunatic::timer (send_after, cancel_timer) as Lunatic 0.13 defines it.
//
//   fire             a message to itself after 100 ms arrives intact, not earlier; main waits
//                    with no timeout and only the timer pending (not a deadlock)
//   order            timers of 300, 100 and 200 ms arrive in deadline order
//   cancel           a cancelled timer returns 1 once, then 0, and never fires
//   cancel_fired     cancel after the message arrived returns 0
//   cancel_unknown   cancel of ids never given returns 0
//   cancel_foreign   another process cannot cancel main's timer (0), which still fires
//   outlives_sender  a timer set by a process that has ended still fires
//   to_dead          timers to a process that never existed and to one that dies first: no
//                    message goes anywhere and nothing breaks
//   no_message       send_after with nothing in the scratch area: traps
//   many N           N timers up to 200 ms, every other one cancelled: exactly the others
//                    arrive, in deadline order
#include <stdlib.h>

#include "proc_util.h"

#define TIMER_TAG 900

static uint64_t timer_to(uint64_t pid, int64_t tag, int64_t value, uint64_t delay_ms) {
  lunatic_message_create_data(tag, 8);
  lunatic_message_write_data(LUNATIC_PTR(&value), 8);
  return lunatic_send_after(pid, delay_ms);
}

static int fire(void) {
  uint64_t t0 = now_ns();
  uint64_t id = timer_to(lunatic_process_id(), TIMER_TAG, 1234, 100);
  say("timer id is non-zero: %s", id != 0 ? "yes" : "no");
  uint32_t r = receive_tag(TIMER_TAG, LUNATIC_NO_TIMEOUT);
  uint64_t waited = now_ns() - t0;
  int64_t v = 0;
  if (r == LUNATIC_MESSAGE_DATA) read_i64s(&v, 1);
  say("received: %s, payload %lld", describe_received(r), (long long)v);
  say("not before 100 ms: %s, within 2 s: %s", waited >= 100000000ull ? "yes" : "no",
      waited < 2000000000ull ? "yes" : "no");
  return 0;
}

static int order(void) {
  uint64_t me = lunatic_process_id();
  timer_to(me, 3, 3, 300);
  timer_to(me, 1, 1, 100);
  timer_to(me, 2, 2, 200);
  for (int i = 0; i < 3; ++i) say("arrived: %s", describe_received(receive_any(5000)));
  return 0;
}

static int cancel(void) {
  uint64_t id = timer_to(lunatic_process_id(), TIMER_TAG, 1, 100);
  say("first cancel: %u", lunatic_cancel_timer(id));
  say("second cancel: %u", lunatic_cancel_timer(id));
  say("after 400 ms: %s", describe_received(receive_any(400)));
  return 0;
}

static int cancel_fired(void) {
  uint64_t id = timer_to(lunatic_process_id(), TIMER_TAG, 1, 10);
  say("received: %s", describe_received(receive_any(5000)));
  say("cancel after it fired: %u", lunatic_cancel_timer(id));
  return 0;
}

static int cancel_unknown(void) {
  say("cancel 0: %u", lunatic_cancel_timer(0));
  say("cancel 123456789: %u", lunatic_cancel_timer(123456789));
  say("cancel max: %u", lunatic_cancel_timer(UINT64_MAX));
  return 0;
}

// Tries to cancel the timer id it is sent and reports what cancel_timer returned.
EXPORT("canceller") void canceller(int64_t parent) {
  (void)receive_any(10000);
  int64_t id = 0;
  read_i64s(&id, 1);
  int64_t result = lunatic_cancel_timer((uint64_t)id);
  send_i64s((uint64_t)parent, 77, &result, 1);
}

static int cancel_foreign(void) {
  uint64_t id = timer_to(lunatic_process_id(), TIMER_TAG, 1, 200);
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t child = spawn_or_report(0, "canceller", &p);
  if (child == 0) return 1;
  int64_t v = (int64_t)id;
  send_i64s(child, 0, &v, 1);
  uint32_t r = receive_tag(77, 5000);
  int64_t result = -1;
  if (r == LUNATIC_MESSAGE_DATA) read_i64s(&result, 1);
  say("another process's cancel returned: %lld", (long long)result);
  say("the timer: %s", describe_received(receive_tag(TIMER_TAG, 5000)));
  return 0;
}

// Sets a timer to `parent` and ends at once.
EXPORT("set_and_leave") void set_and_leave(int64_t parent) {
  timer_to((uint64_t)parent, TIMER_TAG, 55, 100);
}

static int outlives_sender(void) {
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t child = spawn_or_report(0, "set_and_leave", &p);
  if (child == 0) return 1;
  lunatic_monitor(child);
  say("sender ended: %s", await_death(child, 5000) ? "yes" : "no");
  say("its timer: %s", describe_received(receive_tag(TIMER_TAG, 5000)));
  return 0;
}

static int to_dead(void) {
  timer_to(987654321, TIMER_TAG, 1, 10);
  uint64_t child = spawn_or_report(0, "child_normal", 0);
  if (child == 0) return 1;
  lunatic_monitor(child);
  timer_to(child, TIMER_TAG, 2, 100);
  send_go(child);
  say("child ended: %s", await_death(child, 5000) ? "yes" : "no");
  lunatic_sleep_ms(200);
  say("main after both fired: %s", describe_received(receive_any(0)));
  return 0;
}

static int no_message(void) {
  say("calling send_after without a message");
  lunatic_send_after(lunatic_process_id(), 10);
  say("send_after returned");
  return 0;
}

static int many(int n) {
  uint64_t me = lunatic_process_id();
  uint64_t* ids = malloc((size_t)n * sizeof *ids);
  // When each timer is due, in us after start, lies between what the clock says before the call
  // plus its delay and after it plus its delay: this process may be descheduled in between.
  int64_t* due_lo = malloc((size_t)n * sizeof *due_lo);
  int64_t* due_hi = malloc((size_t)n * sizeof *due_hi);
  uint64_t start = now_ns();
  srand(7);
  for (int i = 0; i < n; ++i) {
    int64_t delay = rand() % 200;
    due_lo[i] = (int64_t)(now_ns() - start) / 1000 + delay * 1000;
    ids[i] = timer_to(me, TIMER_TAG, i, (uint64_t)delay);
    due_hi[i] = (int64_t)(now_ns() - start) / 1000 + delay * 1000;
  }
  int cancelled = 0, cancel_failed = 0;
  for (int i = 1; i < n; i += 2) {
    if (lunatic_cancel_timer(ids[i]) == 1)
      ++cancelled;
    else
      ++cancel_failed;  // it may have fired already: a short delay and a slow machine
  }
  int arrived = 0, of_cancelled = 0, out_of_order = 0;
  int64_t latest_lo = -1;
  for (;;) {
    uint32_t r = receive_tag(TIMER_TAG, 1000);
    if (r != LUNATIC_MESSAGE_DATA) break;
    int64_t v = 0;
    read_i64s(&v, 1);
    if (v < 0 || v >= n) break;
    int index = (int)v;
    ++arrived;
    if (index % 2 == 1) ++of_cancelled;
    // Out of order: surely due before one that arrived earlier. Two workers may fire batches
    // of due timers at once, which can interleave them by microseconds: allow 1 ms.
    if (due_hi[index] < latest_lo - 1000) ++out_of_order;
    if (due_lo[index] > latest_lo) latest_lo = due_lo[index];
  }
  say("timers: %d, cancelled: %d, fired before their cancel: %d", n, cancelled, cancel_failed);
  say("arrived: %d, exactly the ones not cancelled: %s", arrived,
      arrived == n - cancelled && of_cancelled == cancel_failed ? "yes" : "no");
  say("in deadline order: %s", out_of_order == 0 ? "yes" : "no");
  return 0;
}

int main(int argc, char** argv) {
  if (argc < 2) return 2;
  const char* mode = argv[1];
  if (!strcmp(mode, "fire")) return fire();
  if (!strcmp(mode, "order")) return order();
  if (!strcmp(mode, "cancel")) return cancel();
  if (!strcmp(mode, "cancel_fired")) return cancel_fired();
  if (!strcmp(mode, "cancel_unknown")) return cancel_unknown();
  if (!strcmp(mode, "cancel_foreign")) return cancel_foreign();
  if (!strcmp(mode, "outlives_sender")) return outlives_sender();
  if (!strcmp(mode, "to_dead")) return to_dead();
  if (!strcmp(mode, "no_message")) return no_message();
  if (!strcmp(mode, "many") && argc > 2) return many(atoi(argv[2]));
  return 2;
}
