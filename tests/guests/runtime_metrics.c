// runtime_metrics.wasm: work whose every step the runtime's own metrics count, in known
// amounts, then "runtime done" and a long sleep so the test can scrape the endpoint.
//
//   - 20 children that end at once (monitored, so their ends are awaited): spawned, normal exits
//   - a sink that first waits for a go while 50 messages of 1,000 bytes pile up in its mailbox
//     (so the go finds 51 there), then reads them and answers with 8 bytes
//   - a child that executes `unreachable`, and one that is killed
//   - a registry put, get and remove
//   - a TCP listener, a connection to it and its accepted end (3 sockets, kept open): 1,000
//     bytes written and read
//   - one child linked to main (2 link ends) and monitored by it (1 monitor), kept alive
#include <stdlib.h>

#include "net_util.h"

#define QUITTERS 20
#define MESSAGES 50
#define MESSAGE_BYTES 1000
#define DATA_TAG 7

static const uint8_t kLoopback4[4] = {127, 0, 0, 1};

EXPORT("sink") void sink(int64_t parent) {
  await_go();
  static uint8_t buffer[MESSAGE_BYTES];
  for (int i = 0; i < MESSAGES; ++i) {
    if (receive_tag(DATA_TAG, LUNATIC_NO_TIMEOUT) != LUNATIC_MESSAGE_DATA) exit(1);
    lunatic_message_read_data(LUNATIC_PTR(buffer), sizeof buffer);
  }
  const int64_t read = MESSAGES;
  send_i64s((uint64_t)parent, DATA_TAG, &read, 1);
}

static uint64_t spawn_monitored(const char* fn, const params_t* p) {
  const uint64_t pid = spawn_or_report(0, fn, p);
  if (pid == 0) exit(1);
  lunatic_monitor(pid);
  return pid;
}

static void await_or_fail(uint64_t pid, const char* what) {
  if (!await_death(pid, 10000)) {
    say("%s did not end", what);
    exit(1);
  }
}

static void messages(void) {
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  const uint64_t sink_pid = spawn_monitored("sink", &p);
  static uint8_t payload[MESSAGE_BYTES];
  for (int i = 0; i < MESSAGES; ++i) {
    lunatic_message_create_data(DATA_TAG, sizeof payload);
    lunatic_message_write_data(LUNATIC_PTR(payload), sizeof payload);
    lunatic_message_send(sink_pid);
  }
  send_go(sink_pid);
  if (receive_tag(DATA_TAG, 10000) != LUNATIC_MESSAGE_DATA) {
    say("the sink did not answer");
    exit(1);
  }
  await_or_fail(sink_pid, "the sink");
}

static void registry(void) {
  static const char name[] = "metrics-name";
  uint64_t node = 0, process = 0;
  lunatic_registry_put(LUNATIC_PTR(name), sizeof name - 1, 0, lunatic_process_id());
  if (lunatic_registry_get(LUNATIC_PTR(name), sizeof name - 1, LUNATIC_PTR(&node),
                           LUNATIC_PTR(&process)) != 0) {
    say("registry get failed");
    exit(1);
  }
  lunatic_registry_remove(LUNATIC_PTR(name), sizeof name - 1);
}

static void sockets(void) {
  uint64_t listener = 0, client = 0, server = 0, iterator = 0, n = 0;
  if (lunatic_net_tcp_bind(4, LUNATIC_PTR(kLoopback4), 0, 0, 0, LUNATIC_PTR(&listener)) != 0) {
    say("bind failed");
    exit(1);
  }
  const uint16_t port =
      port_of(lunatic_net_tcp_local_addr(listener, LUNATIC_PTR(&iterator)), iterator);
  if (port == 0 ||
      lunatic_net_tcp_connect(4, LUNATIC_PTR(kLoopback4), port, 0, 0, 2000, LUNATIC_PTR(&client)) !=
          0 ||
      lunatic_net_tcp_accept(listener, LUNATIC_PTR(&server), LUNATIC_PTR(&iterator)) != 0) {
    say("no connection");
    exit(1);
  }
  lunatic_net_drop_dns_iterator(iterator);
  static uint8_t bytes[MESSAGE_BYTES];
  struct {
    uint32_t ptr, len;
  } iov = {LUNATIC_PTR(bytes), sizeof bytes};
  if (lunatic_net_tcp_write_vectored(client, LUNATIC_PTR(&iov), 1, LUNATIC_PTR(&n)) != 0 ||
      n != sizeof bytes) {
    say("write failed");
    exit(1);
  }
  for (uint64_t got = 0; got < sizeof bytes; got += n) {
    if (lunatic_net_tcp_read(server, LUNATIC_PTR(bytes + got), sizeof bytes - got,
                             LUNATIC_PTR(&n)) != 0 ||
        n == 0) {
      say("read failed");
      exit(1);
    }
  }
}

int main(void) {
  for (int i = 0; i < QUITTERS; ++i)
    await_or_fail(spawn_monitored("child_return_now", 0), "a child");
  messages();
  await_or_fail(spawn_monitored("child_trap_now", 0), "the trapping child");
  const uint64_t doomed = spawn_monitored("child_wait_forever", 0);
  lunatic_kill(doomed);
  await_or_fail(doomed, "the killed child");
  registry();
  sockets();
  const uint64_t linked = spawn_or_report(1, "child_wait_forever", 0);
  lunatic_monitor(linked);
  say("runtime done");
  lunatic_sleep_ms(60000);
  return 0;
}
