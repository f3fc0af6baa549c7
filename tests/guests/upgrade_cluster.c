// upgrade_cluster.wasm: a counter (upgrade_counter_v1.h) on this node and one on every other
// node of the cluster, for `lunatic upgrade --all-nodes` to move to upgrade_v2.wasm. main asks
// each counter for its line every 100 ms and prints "versions: ..." whenever they change.
#include "upgrade_counter_v1.h"

#define MAX_NODES 8

static const char* version_of(uint64_t pid) {
  static int64_t next_tag = 5000;
  int64_t request[2] = {(int64_t)lunatic_process_id(), ++next_tag};
  send_i64s(pid, GET_TAG, request, 2);
  if (receive_tag(request[1], 5000) != LUNATIC_MESSAGE_DATA) return "none";
  char text[8] = {0};
  lunatic_message_read_data(LUNATIC_PTR(text), 2);
  return text[0] == 'v' && text[1] == '1' ? "v1" : text[0] == 'v' && text[1] == '2' ? "v2" : "?";
}

int main(void) {
  uint64_t pids[MAX_NODES];
  uint32_t count = 0;
  uint64_t here = lunatic_distributed_node_id();
  params_t p = {0};
  param_i64(&p, ROLE_COUNTER);
  // The other nodes may not be members yet: wait until there is one.
  uint64_t nodes[MAX_NODES];
  uint32_t n = 0;
  for (int i = 0; i < 200 && n < 2; ++i) {
    n = lunatic_distributed_get_nodes(LUNATIC_PTR(nodes), MAX_NODES);
    if (n < 2) lunatic_sleep_ms(50);
  }
  for (uint32_t i = 0; i < n; ++i) {
    uint64_t id = 0;
    const char* fn = "counter";
    uint32_t r = lunatic_distributed_spawn(nodes[i], -1, lunatic_distributed_module_id(),
                                           LUNATIC_PTR(fn), (uint32_t)strlen(fn),
                                           LUNATIC_PTR(p.bytes), p.len, LUNATIC_PTR(&id));
    if (r == 0)
      pids[count++] = id;
    else
      say("spawn on node %llu failed: %u", (unsigned long long)nodes[i], r);
  }
  say("counters on %u nodes (this is node %llu)", count, (unsigned long long)here);
  char last[64] = "";
  for (;;) {
    char now[64] = "";
    for (uint32_t i = 0; i < count; ++i) {
      strncat(now, " ", sizeof now - strlen(now) - 1);
      strncat(now, version_of(pids[i]), sizeof now - strlen(now) - 1);
    }
    if (strcmp(now, last) != 0) {
      say("versions:%s", now);
      strcpy(last, now);
    }
    lunatic_sleep_ms(100);
  }
}
