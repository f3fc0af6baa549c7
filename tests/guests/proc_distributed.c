// proc_distributed.wasm: lunatic::distributed on a single node (node 0), and lunatic::version.
//
// Our extension to Lunatic: without a cluster the local node is node 0 and counts as a node, so
// spawn and send to node 0 work like their local versions, and other node ids get the documented
// error codes (spawn: 1 no such node, 2 no such module; send: 1 no such process, 2 no such node).
#include "proc_util.h"

#define REPORT_TAG 800
#define REQUEST_TAG 88
#define REPLY_TAG_ECHO 89
#define SELF_TAG 77

// Sends the parent [process_id, module_id].
EXPORT("report") void report(int64_t parent) {
  int64_t v[2] = {(int64_t)lunatic_process_id(), (int64_t)lunatic_distributed_module_id()};
  send_i64s((uint64_t)parent, REPORT_TAG, v, 2);
}

// Answers one REQUEST_TAG message from the parent with an empty REPLY_TAG_ECHO message.
EXPORT("echo") void echo(int64_t parent) {
  if (receive_tag(REQUEST_TAG, 10000) != LUNATIC_MESSAGE_DATA) return;
  lunatic_message_create_data(REPLY_TAG_ECHO, 0);
  lunatic_message_send((uint64_t)parent);
}

// Tries a distributed spawn (its config does not allow spawning).
EXPORT("dist_spawn_denied") void dist_spawn_denied(void) {
  const char* fn = "child_return_now";
  uint64_t id = 0;
  uint32_t r = lunatic_distributed_spawn(0, -1, lunatic_distributed_module_id(), LUNATIC_PTR(fn),
                                         (uint32_t)strlen(fn), 0, 0, LUNATIC_PTR(&id));
  say("denied distributed spawn returned %u", r);
}

static uint32_t dist_spawn(uint64_t node, uint64_t module, const char* fn, const params_t* p,
                           uint64_t* id) {
  return lunatic_distributed_spawn(node, -1, module, LUNATIC_PTR(fn), (uint32_t)strlen(fn),
                                   p ? LUNATIC_PTR(p->bytes) : 0, p ? p->len : 0, LUNATIC_PTR(id));
}

static uint32_t send_hi(uint64_t node, uint64_t pid) {
  lunatic_message_create_data(SELF_TAG, 2);
  lunatic_message_write_data(LUNATIC_PTR("hi"), 2);
  return lunatic_distributed_send(node, pid);
}

int main(void) {
  uint64_t me = lunatic_process_id();
  say("version: %u.%u.%u", lunatic_version_major(), lunatic_version_minor(),
      lunatic_version_patch());
  say("node_id: %llu", (unsigned long long)lunatic_distributed_node_id());
  say("nodes_count: %u", lunatic_distributed_nodes_count());
  uint64_t nodes[4] = {111, 222, 333, 444};
  uint32_t n = lunatic_distributed_get_nodes(LUNATIC_PTR(nodes), 4);
  say("get_nodes(4): %u, [%llu %llu %llu %llu]", n, (unsigned long long)nodes[0],
      (unsigned long long)nodes[1], (unsigned long long)nodes[2], (unsigned long long)nodes[3]);
  nodes[0] = 111;
  n = lunatic_distributed_get_nodes(LUNATIC_PTR(nodes), 0);
  say("get_nodes(0): %u, [%llu]", n, (unsigned long long)nodes[0]);
  uint64_t module = lunatic_distributed_module_id();
  say("module_id stable: %s", lunatic_distributed_module_id() == module ? "yes" : "no");

  params_t p = {0};
  param_i64(&p, (int64_t)me);
  uint64_t child = spawn_or_report(0, "report", &p);
  int64_t v[2] = {0, 0};
  uint32_t r = receive_tag(REPORT_TAG, 10000);
  if (r == LUNATIC_MESSAGE_DATA) read_i64s(v, 2);
  say("local child has the same module_id: %s", (uint64_t)v[1] == module ? "yes" : "no");
  (void)child;

  uint64_t id = 0;
  r = dist_spawn(0, module, "report", &p, &id);
  say("spawn on node 0: %u", r);
  v[0] = v[1] = 0;
  r = receive_tag(REPORT_TAG, 10000);
  if (r == LUNATIC_MESSAGE_DATA) read_i64s(v, 2);
  say("the child on node 0 reports the pid spawn gave: %s", (uint64_t)v[0] == id ? "yes" : "no");
  say("the child on node 0 has the same module_id: %s", (uint64_t)v[1] == module ? "yes" : "no");

  r = dist_spawn(1, module, "report", &p, &id);
  say("spawn on node 1: %u", r);
  if (r == 1) say("its error has a text: %s", error_text(id)[0] ? "yes" : "no");
  r = dist_spawn(0, 987654321, "report", &p, &id);
  say("spawn on node 0 from an unknown module: %u", r);

  say("send to node 0: %u", send_hi(0, me));
  r = receive_tag(SELF_TAG, 10000);
  char got[3] = {0};
  if (r == LUNATIC_MESSAGE_DATA) lunatic_message_read_data(LUNATIC_PTR(got), 2);
  say("received: %s \"%s\"", describe_received(r), got);
  say("send to node 0, unknown process: %u", send_hi(0, 987654321));
  say("send to node 5: %u", send_hi(5, me));
  say("mailbox after the failed sends: %s", describe_received(receive_tag(SELF_TAG, 200)));

  uint64_t e = spawn_or_report(0, "echo", &p);
  lunatic_message_create_data(REQUEST_TAG, 0);
  r = lunatic_distributed_send_receive_skip_search(0, e, REPLY_TAG_ECHO, 10000);
  say("send_receive_skip_search on node 0: %u, reply tag %lld", r,
      r == 0 ? (long long)lunatic_message_get_tag() : -1ll);
  lunatic_message_create_data(REQUEST_TAG, 0);
  say("send_receive_skip_search to node 9: %u",
      lunatic_distributed_send_receive_skip_search(9, me, REPLY_TAG_ECHO, 100));
  lunatic_message_create_data(SELF_TAG, 0);
  say("send_receive_skip_search waiting for a tag nobody sends: %u",
      lunatic_distributed_send_receive_skip_search(0, me, 12345, 100));
  say("its message to itself arrived: %s", describe_received(receive_tag(SELF_TAG, 10000)));

  lunatic_die_when_link_dies(0);
  int64_t denied = lunatic_create_config();
  uint64_t d = 0;
  spawn_fn(81, denied, -1, "dist_spawn_denied", 0, &d);
  // A link-died message carries its link's tag, so a tagged receive finds it.
  say("distributed spawn without permission: %s", describe_received(receive_tag(81, 10000)));
  return 0;
}
