// net_udp_dns.wasm <mode>: lunatic::networking DNS and UDP as Lunatic 0.13 defines them.
//
//   resolve NAME    resolve(NAME) and print every address it yields (type, address, port)
//   resolve_bad     names that cannot resolve: no port, a port out of range, an unknown host
//   bad_iterator    resolve_next on an iterator id that does not exist: traps
//   udp_to_from     two sockets: send_to one, receive_from names the sender's port
//   udp_connected   connect both ways, send and receive; the peer address reads back
//   udp_options     broadcast and TTL set and read back
//   udp_receiver    a receive waits in its process while main keeps running, then gets the
//                   datagram main sends; the socket moved to the receiver in a message
//   udp_bad_socket  udp_send on a socket id that does not exist: traps
#include <stdlib.h>

#include "net_util.h"

#define SOCKET_TAG 0x72
#define DONE_TAG 0x73

static const uint8_t kLoopback4[4] = {127, 0, 0, 1};

static const char* format_address(const address_t* a) {
  static char text[96];
  if (a->type == 4) {
    snprintf(text, sizeof text, "v4 %u.%u.%u.%u port %u", a->addr[0], a->addr[1], a->addr[2],
             a->addr[3], a->port);
  } else {
    int loopback = a->addr[15] == 1;
    for (int i = 0; i < 15; ++i) loopback = loopback && a->addr[i] == 0;
    snprintf(text, sizeof text, "v6 %s port %u", loopback ? "::1" : "(other)", a->port);
  }
  return text;
}

static uint32_t resolve(const char* name, uint64_t timeout_ms, uint64_t* id) {
  return lunatic_net_resolve(LUNATIC_PTR(name), (uint32_t)strlen(name), timeout_ms,
                             LUNATIC_PTR(id));
}

static int resolve_print(const char* name) {
  uint64_t id = 0;
  uint32_t r = resolve(name, 5000, &id);
  if (r != 0) {
    say("resolve %s: %u %s", name, r, r == 1 ? error_text(id) : "timed out");
    return 0;
  }
  address_t a;
  int count = 0;
  while (next_address(id, &a)) {
    say("address: %s", format_address(&a));
    ++count;
  }
  say("addresses: %d, then resolve_next returns 1", count);
  lunatic_net_drop_dns_iterator(id);
  return 0;
}

static int resolve_bad(void) {
  const char* names[] = {"localhost", "localhost:99999", "no-such-host.invalid:80"};
  for (int i = 0; i < 3; ++i) {
    uint64_t id = 0;
    uint32_t r = resolve(names[i], 10000, &id);
    say("%s: %u, an error text: %s", names[i], r,
        r == 1 && strlen(error_text(id)) > 0 ? "yes" : "no");
  }
  return 0;
}

static uint64_t udp_bind_loopback(address_t* local) {
  uint64_t id = 0;
  if (lunatic_net_udp_bind(4, LUNATIC_PTR(kLoopback4), 0, 0, 0, LUNATIC_PTR(&id)) != 0) {
    say("udp bind failed: %s", error_text(id));
    exit(1);
  }
  uint64_t iterator = 0;
  if (lunatic_net_udp_local_addr(id, LUNATIC_PTR(&iterator)) != 0 ||
      !next_address(iterator, local)) {
    say("udp local address failed");
    exit(1);
  }
  lunatic_net_drop_dns_iterator(iterator);
  return id;
}

static int udp_to_from(void) {
  address_t a_addr, b_addr;
  uint64_t a = udp_bind_loopback(&a_addr), b = udp_bind_loopback(&b_addr);
  uint64_t n = 0;
  uint32_t r = lunatic_net_udp_send_to(a, LUNATIC_PTR("ping!"), 5, 4, LUNATIC_PTR(kLoopback4),
                                       b_addr.port, 0, 0, LUNATIC_PTR(&n));
  say("send_to: %u, %llu bytes", r, (unsigned long long)n);
  char buf[16] = {0};
  uint64_t from = 0;
  r = lunatic_net_udp_receive_from(b, LUNATIC_PTR(buf), sizeof buf, LUNATIC_PTR(&n),
                                   LUNATIC_PTR(&from));
  address_t sender;
  int named = r == 0 && next_address(from, &sender);
  say("receive_from: %u, '%.*s', from the sender's port: %s", r, (int)n, buf,
      named && sender.port == a_addr.port ? "yes" : "no");
  // A datagram larger than the buffer is cut to it.
  lunatic_net_udp_send_to(a, LUNATIC_PTR("0123456789"), 10, 4, LUNATIC_PTR(kLoopback4), b_addr.port,
                          0, 0, LUNATIC_PTR(&n));
  r = lunatic_net_udp_receive(b, LUNATIC_PTR(buf), 4, LUNATIC_PTR(&n));
  say("receive into 4 bytes: %u, %llu bytes '%.4s'", r, (unsigned long long)n, buf);
  return 0;
}

static int udp_connected(void) {
  address_t a_addr, b_addr;
  uint64_t a = udp_bind_loopback(&a_addr), b = udp_bind_loopback(&b_addr);
  uint64_t e = 0;
  uint32_t r1 = lunatic_net_udp_connect(a, 4, LUNATIC_PTR(kLoopback4), b_addr.port, 0, 0, 1000,
                                        LUNATIC_PTR(&e));
  uint32_t r2 = lunatic_net_udp_connect(b, 4, LUNATIC_PTR(kLoopback4), a_addr.port, 0, 0, 1000,
                                        LUNATIC_PTR(&e));
  say("connect: %u %u", r1, r2);
  uint64_t iterator = 0;
  address_t peer;
  if (lunatic_net_udp_peer_addr(a, LUNATIC_PTR(&iterator)) == 0 && next_address(iterator, &peer)) {
    say("a's peer is b: %s", peer.port == b_addr.port ? "yes" : "no");
  }
  uint64_t n = 0;
  uint32_t r = lunatic_net_udp_send(a, LUNATIC_PTR("hey"), 3, LUNATIC_PTR(&n));
  char buf[8] = {0};
  uint32_t rr = lunatic_net_udp_receive(b, LUNATIC_PTR(buf), sizeof buf, LUNATIC_PTR(&n));
  say("send: %u, receive: %u '%s'", r, rr, buf);
  uint64_t unconnected = udp_bind_loopback(&peer);
  r = lunatic_net_udp_peer_addr(unconnected, LUNATIC_PTR(&iterator));
  say("peer of an unconnected socket: %u, %s", r, r == 1 ? error_text(iterator) : "-");
  return 0;
}

static int udp_options(void) {
  address_t local;
  uint64_t s = udp_bind_loopback(&local);
  say("broadcast at first: %u", lunatic_net_get_udp_socket_broadcast(s));
  lunatic_net_set_udp_socket_broadcast(s, 1);
  say("broadcast after set: %u", lunatic_net_get_udp_socket_broadcast(s));
  lunatic_net_set_udp_socket_ttl(s, 17);
  say("ttl after set: %u", lunatic_net_get_udp_socket_ttl(s));
  uint64_t clone = lunatic_net_clone_udp_socket(s);
  say("a clone is the same socket: %s", lunatic_net_get_udp_socket_ttl(clone) == 17 ? "yes" : "no");
  return 0;
}

EXPORT("receiver") void receiver(int64_t main_pid) {
  receive_tag(SOCKET_TAG, 5000);
  uint64_t socket = lunatic_message_take_udp_socket(0);
  send_i64s((uint64_t)main_pid, DONE_TAG, 0, 0);  // about to wait
  char buf[16] = {0};
  uint64_t n = 0;
  uint32_t r = lunatic_net_udp_receive(socket, LUNATIC_PTR(buf), sizeof buf, LUNATIC_PTR(&n));
  say("receiver: %u '%.*s'", r, (int)n, buf);
  send_i64s((uint64_t)main_pid, DONE_TAG, 0, 0);
}

static int udp_receiver(void) {
  address_t local, sender_addr;
  uint64_t socket = udp_bind_loopback(&local);
  uint64_t sender = udp_bind_loopback(&sender_addr);
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  uint64_t pid = spawn_or_report(0, "receiver", &p);
  lunatic_message_create_data(SOCKET_TAG, 0);
  lunatic_message_push_udp_socket(socket);
  lunatic_message_send(pid);
  receive_tag(DONE_TAG, 5000);
  lunatic_sleep_ms(100);  // the receiver waits in its receive meanwhile; this process runs
  say("main ran while the receiver waited");
  uint64_t n = 0;
  lunatic_net_udp_send_to(sender, LUNATIC_PTR("late"), 4, 4, LUNATIC_PTR(kLoopback4), local.port, 0,
                          0, LUNATIC_PTR(&n));
  receive_tag(DONE_TAG, 5000);
  return 0;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "resolve") && argc > 2) return resolve_print(argv[2]);
  if (!strcmp(mode, "resolve_bad")) return resolve_bad();
  if (!strcmp(mode, "bad_iterator")) {
    address_t a;
    next_address(777, &a);
    return 0;
  }
  if (!strcmp(mode, "udp_to_from")) return udp_to_from();
  if (!strcmp(mode, "udp_connected")) return udp_connected();
  if (!strcmp(mode, "udp_options")) return udp_options();
  if (!strcmp(mode, "udp_receiver")) return udp_receiver();
  if (!strcmp(mode, "udp_bad_socket")) {
    uint64_t n = 0;
    lunatic_net_udp_send(99, LUNATIC_PTR("x"), 1, LUNATIC_PTR(&n));
    return 0;
  }
  say("unknown mode '%s'", mode);
  return 2;
}
