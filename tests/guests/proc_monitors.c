// proc_monitors.wasm <mode>: monitor and stop_monitoring.
//
//   kinds           the monitor hears of every end: return, trap, proc_exit(3), kill
//   stop            after stop_monitoring nothing arrives, while another monitor still hears it
//   dead            monitoring a process that already ended, or never existed, sends nothing
#include "proc_util.h"

#define READY_TAG 500
#define SAW_TAG 501

// After go: monitors `watched`, tells the parent it is ready, waits for `watched` to end, and
// tells the parent.
EXPORT("observer") void observer(int64_t parent, int64_t watched) {
  lunatic_monitor((uint64_t)watched);
  send_i64s((uint64_t)parent, READY_TAG, 0, 0);
  int64_t v[1] = {await_death((uint64_t)watched, 10000)};
  send_i64s((uint64_t)parent, SAW_TAG, v, 1);
}

static uint64_t spawn_monitored(const char* fn, const params_t* p, const char* name) {
  uint64_t pid = spawn_or_report(0, fn, p);
  name_pid(pid, name);
  lunatic_monitor(pid);
  return pid;
}

static int kinds(void) {
  uint64_t c = spawn_monitored("child_normal", 0, "returning child");
  send_go(c);
  uint32_t r = report_next("return", 10000);
  if (r == LUNATIC_MESSAGE_PROCESS_DIED) {
    say("process-died get_tag: %lld", (long long)lunatic_message_get_tag());
  }

  c = spawn_monitored("child_trap", 0, "trapping child");
  send_go(c);
  report_next("trap", 10000);

  params_t p = {0};
  param_i32(&p, 3);
  c = spawn_monitored("child_proc_exit", &p, "exiting child");
  send_go(c);
  report_next("proc_exit(3)", 10000);

  c = spawn_monitored("child_wait_forever", 0, "killed child");
  lunatic_kill(c);
  report_next("kill", 10000);

  report_next("then", 300);
  say("main continues");
  return 0;
}

static int stop(void) {
  uint64_t c = spawn_monitored("child_trap", 0, "child");
  lunatic_stop_monitoring(c);
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  param_i64(&p, (int64_t)c);
  if (spawn_or_report(0, "observer", &p) == 0) return 1;
  uint32_t r = receive_tag(READY_TAG, 10000);
  if (r != LUNATIC_MESSAGE_DATA) {
    say("observer not ready: %s", describe_received(r));
    return 1;
  }
  send_go(c);
  int64_t saw = 0;
  r = receive_tag(SAW_TAG, 10000);
  if (r == LUNATIC_MESSAGE_DATA) read_i64s(&saw, 1);
  say("the observer saw the child end: %s", saw ? "yes" : "no");
  report_next("main's mailbox", 300);
  return 0;
}

static int dead(void) {
  uint64_t c = spawn_monitored("child_normal", 0, "child");
  send_go(c);
  report_next("first", 10000);
  lunatic_monitor(c);
  report_next("after monitoring the ended child", 500);
  lunatic_monitor(987654321);
  report_next("after monitoring an unknown id", 300);
  lunatic_stop_monitoring(987654321);
  say("main continues");
  return 0;
}

int main(int argc, char** argv) {
  if (argc != 2) {
    say("usage: proc_monitors <mode>");
    return 2;
  }
  const char* m = argv[1];
  if (!strcmp(m, "kinds")) return kinds();
  if (!strcmp(m, "stop")) return stop();
  if (!strcmp(m, "dead")) return dead();
  say("unknown mode %s", m);
  return 2;
}
