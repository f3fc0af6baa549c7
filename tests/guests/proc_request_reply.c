// proc_request_reply.wasm [rounds]: request and reply with send_receive_skip_search, which sends
// and then waits for a reply with a given tag that arrives after the send. An echo process
// answers each request at once, so the reply often comes back while the sender is still inside
// the call; it must never be missed. A round stops at the first timeout (2 s).
//
//   message: <answered> of <rounds> answered, <timeouts> timeouts       (lunatic::message)
//   distributed: <answered> of <rounds> answered, <timeouts> timeouts   (lunatic::distributed, node
//   0)
#include <stdlib.h>

#include "proc_util.h"

#define REQUEST_TAG 1300
#define STOP_TAG 1301

// Answers every REQUEST_TAG message [reply tag] from `parent` with an empty message with that
// tag, until STOP_TAG.
EXPORT("echo_server") void echo_server(int64_t parent) {
  int64_t tags[2] = {REQUEST_TAG, STOP_TAG};
  for (;;) {
    if (lunatic_message_receive(LUNATIC_PTR(tags), 2, LUNATIC_NO_TIMEOUT) != 0) return;
    if (lunatic_message_get_tag() == STOP_TAG) return;
    int64_t reply_tag = 0;
    read_i64s(&reply_tag, 1);
    lunatic_message_create_data(reply_tag, 0);
    lunatic_message_send((uint64_t)parent);
  }
}

static void rounds_with(const char* what, int distributed, uint64_t server, int rounds) {
  int answered = 0, timeouts = 0, wrong = 0;
  for (int i = 0; i < rounds; ++i) {
    int64_t reply_tag = 100000 + i;
    lunatic_message_create_data(REQUEST_TAG, 8);
    lunatic_message_write_data(LUNATIC_PTR(&reply_tag), 8);
    uint32_t r = distributed
                     ? lunatic_distributed_send_receive_skip_search(0, server, reply_tag, 2000)
                     : lunatic_message_send_receive_skip_search(server, reply_tag, 2000);
    if (r == 0 && lunatic_message_get_tag() == reply_tag) {
      ++answered;
    } else if (r == LUNATIC_TIMEOUT) {
      ++timeouts;
      break;  // one is enough, and each costs 2 s
    } else {
      ++wrong;
    }
  }
  say("%s: %d of %d answered, %d timeouts, %d wrong", what, answered, rounds, timeouts, wrong);
}

int main(int argc, char** argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 10000;
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t server = spawn_or_report(0, "echo_server", &p);
  if (server == 0) return 1;
  rounds_with("message", 0, server, rounds);
  rounds_with("distributed", 1, server, rounds);
  send_i64s(server, STOP_TAG, 0, 0);
  return 0;
}
