// net_permissions.wasm <mode>: network permissions of configs, beyond Lunatic
// (config_can_use_network, config_set_can_use_network, config_allow_network). Main listens on
// loopback and spawns a child with a config; the child tries to connect and bind and says what
// happened.
//
//   default        a new config allows the network (as in Lunatic): the child connects and binds
//   deny_all       config_set_can_use_network(0): connect, bind, udp_bind and udp_send_to are
//                  refused with "Permission denied", not trapped
//   allow_rule     only connecting to 127.0.0.1/32 on main's port: that connect works; another
//                  port, a bind, and main's port through an IPv4-mapped IPv6 address other than
//                  allowed ones are refused; the same address mapped to IPv6 is allowed
//   no_escalation  a restricted child that may create configs makes restricted ones, and cannot
//                  grant network access (a trap)
//   bad_rule       a prefix longer than the address: traps
#include <stdlib.h>

#include "net_util.h"

#define DONE_TAG 0x76

static const uint8_t kLoopback4[4] = {127, 0, 0, 1};
static const uint8_t kMapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 127, 0, 0, 1};

static const char* outcome(uint32_t r, uint64_t id) {
  static char text[300];
  if (r == 0) return "ok";
  snprintf(text, sizeof text, "%u %s", r, r == 1 ? error_text(id) : "timed out");
  // Ports differ from run to run: drop the ":port" before " is not allowed".
  char* tail = strstr(text, " is not allowed");
  if (tail) {
    char* digits = tail;
    while (digits > text && digits[-1] >= '0' && digits[-1] <= '9') --digits;
    if (digits > text && digits[-1] == ':') memmove(digits - 1, tail, strlen(tail) + 1);
  }
  return text;
}

static void try_connect(const char* what, uint32_t type, const uint8_t* addr, uint32_t port) {
  uint64_t id = 0;
  uint32_t r = lunatic_net_tcp_connect(type, LUNATIC_PTR(addr), port, 0, 0, 2000, LUNATIC_PTR(&id));
  say("%s: %s", what, outcome(r, id));
  if (r == 0) lunatic_net_drop_tcp_stream(id);
}

static void try_bind(void) {
  uint64_t id = 0;
  uint32_t r = lunatic_net_tcp_bind(4, LUNATIC_PTR(kLoopback4), 0, 0, 0, LUNATIC_PTR(&id));
  say("tcp bind: %s", outcome(r, id));
  r = lunatic_net_udp_bind(4, LUNATIC_PTR(kLoopback4), 0, 0, 0, LUNATIC_PTR(&id));
  say("udp bind: %s", outcome(r, id));
}

static void try_resolve(void) {
  static const char name[] = "localhost:80";
  uint64_t id = 0;
  uint32_t r = lunatic_net_resolve(LUNATIC_PTR(name), sizeof name - 1, 2000, LUNATIC_PTR(&id));
  say("resolve localhost: %s", outcome(r, id));
  if (r == 0) lunatic_net_drop_dns_iterator(id);
}

EXPORT("child") void child(int64_t main_pid, int64_t port, int64_t mode) {
  if (mode == 0 || mode == 1) {
    try_connect("connect", 4, kLoopback4, (uint32_t)port);
    try_bind();
    try_resolve();
  }
  if (mode == 1) {
    // udp_send_to from a socket main made would need one; a fresh bind is refused above, so
    // check send_to through a socket moved in (main sends one).
    receive_tag(DONE_TAG, 5000);
    uint64_t socket = lunatic_message_take_udp_socket(0);
    uint64_t n = 0;
    uint32_t r = lunatic_net_udp_send_to(socket, LUNATIC_PTR("x"), 1, 4, LUNATIC_PTR(kLoopback4),
                                         (uint32_t)port, 0, 0, LUNATIC_PTR(&n));
    say("udp send_to: %s", outcome(r, n));
  }
  if (mode == 2) {
    try_connect("connect to the allowed port", 4, kLoopback4, (uint32_t)port);
    try_connect("connect to the allowed port as ::ffff:127.0.0.1", 6, kMapped, (uint32_t)port);
    try_connect("connect to another port", 4, kLoopback4, (uint32_t)port + 1);
    try_connect("connect to another port as ::ffff:127.0.0.1", 6, kMapped, (uint32_t)port + 1);
    try_bind();
    try_resolve();  // a process that may connect somewhere may look names up
  }
  if (mode == 3) {
    int64_t config = lunatic_create_config();
    say("a config it creates can use the network: %u",
        lunatic_config_can_use_network((uint64_t)config));
    say("granting it: next line is the trap");
    lunatic_config_set_can_use_network((uint64_t)config, 1);
  }
  send_i64s((uint64_t)main_pid, DONE_TAG, 0, 0);
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  uint64_t listener = 0;
  if (lunatic_net_tcp_bind(4, LUNATIC_PTR(kLoopback4), 0, 0, 0, LUNATIC_PTR(&listener)) != 0)
    return 1;
  uint64_t iterator = 0;
  const uint16_t port =
      port_of(lunatic_net_tcp_local_addr(listener, LUNATIC_PTR(&iterator)), iterator);
  int64_t config = lunatic_create_config();
  int64_t child_mode = 0;
  if (!strcmp(mode, "default")) {
    say("a new config can use the network: %u", lunatic_config_can_use_network((uint64_t)config));
  } else if (!strcmp(mode, "deny_all")) {
    lunatic_config_set_can_use_network((uint64_t)config, 0);
    say("after denying: %u", lunatic_config_can_use_network((uint64_t)config));
    child_mode = 1;
  } else if (!strcmp(mode, "allow_rule")) {
    lunatic_config_allow_network((uint64_t)config, 0, 4, LUNATIC_PTR(kLoopback4), 32, port, port);
    say("with a rule: %u", lunatic_config_can_use_network((uint64_t)config));
    child_mode = 2;
  } else if (!strcmp(mode, "no_escalation")) {
    lunatic_config_set_can_use_network((uint64_t)config, 0);
    lunatic_config_set_can_create_configs((uint64_t)config, 1);
    child_mode = 3;
  } else if (!strcmp(mode, "bad_rule")) {
    lunatic_config_allow_network((uint64_t)config, 0, 4, LUNATIC_PTR(kLoopback4), 33, 0, 65535);
    return 0;
  } else {
    say("unknown mode '%s'", mode);
    return 2;
  }
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  param_i64(&p, port);
  param_i64(&p, child_mode);
  uint64_t pid = 0;
  if (spawn_fn(0, config, -1, "child", &p, &pid) != 0) {
    say("spawn failed: %s", error_text(pid));
    return 1;
  }
  if (child_mode == 1) {
    uint64_t socket = 0;
    lunatic_net_udp_bind(4, LUNATIC_PTR(kLoopback4), 0, 0, 0, LUNATIC_PTR(&socket));
    lunatic_message_create_data(DONE_TAG, 0);
    lunatic_message_push_udp_socket(socket);
    lunatic_message_send(pid);
  }
  // The child's connections complete in the listener's backlog; nothing needs accepting. A
  // monitor ends the wait when the child traps instead of reporting.
  lunatic_monitor(pid);
  receive_any(10000);
  return 0;
}
