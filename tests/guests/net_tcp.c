// net_tcp.wasm <mode>: lunatic::networking TCP as Lunatic 0.13 defines it, on loopback, with
// the client and the server in processes of their own.
//
//   echo V         (V 4 or 6) a client process connects, writes, reads the echo; the server
//                  sees the client's address as the peer; both addresses are printed
//   peek           peeked bytes are read again by the next read
//   read_timeout   a read with a 100 ms timeout on a silent peer returns 9027, not earlier;
//                  the timeouts read back as set, u64::MAX meaning none
//   peer_gone      a read waiting on a peer that is killed returns 0 bytes (end of stream):
//                  the dead process's socket was closed
//   refused        connecting to a port nobody listens on: 1 and the OS error's text
//   move           the accepted stream is pushed into a message to a handler process, which
//                  echoes through it; the acceptor no longer has it
//   clone          a reader and a writer process share one connection (clone_tcp_stream) and
//                  work at the same time
//   many N         N client processes, each with its own connection to a server process per
//                  connection, all echoing at once
//   large          4 MiB through one connection, written in one call that the socket takes
//                  in parts, every byte checked
//   bad_stream     read from a stream id that does not exist: traps
//   bad_buffer     read into a buffer outside memory: traps
//   bad_type       bind with address type 5: traps
#include <stdlib.h>

#include "net_util.h"

#define PORT_TAG 0x70
#define DONE_TAG 0x71

static const uint8_t kLoopback4[4] = {127, 0, 0, 1};
static const uint8_t kLoopback6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

static const char* format_address(const address_t* a) {
  static char text[80];
  if (a->type == 4) {
    snprintf(text, sizeof text, "%u.%u.%u.%u", a->addr[0], a->addr[1], a->addr[2], a->addr[3]);
  } else {
    snprintf(text, sizeof text, "[v6 ...%u]", a->addr[15]);
  }
  return text;
}

static uint64_t bind_loopback(uint32_t version, uint16_t* port) {
  uint64_t id = 0;
  const uint8_t* addr = version == 6 ? kLoopback6 : kLoopback4;
  if (lunatic_net_tcp_bind(version, LUNATIC_PTR(addr), 0, 0, 0, LUNATIC_PTR(&id)) != 0) {
    say("bind failed: %s", error_text(id));
    exit(1);
  }
  uint64_t iterator = 0;
  address_t local;
  if (lunatic_net_tcp_local_addr(id, LUNATIC_PTR(&iterator)) != 0 ||
      !first_address(iterator, &local)) {
    say("local address failed");
    exit(1);
  }
  *port = local.port;
  return id;
}

static uint64_t connect_loopback(uint32_t version, uint16_t port) {
  uint64_t id = 0;
  const uint8_t* addr = version == 6 ? kLoopback6 : kLoopback4;
  uint32_t r =
      lunatic_net_tcp_connect(version, LUNATIC_PTR(addr), port, 0, 0, 2000, LUNATIC_PTR(&id));
  if (r != 0) {
    say("connect: %u %s", r, r == 1 ? error_text(id) : "timed out");
    return UINT64_MAX;
  }
  return id;
}

static uint64_t accept_one(uint64_t listener, address_t* peer) {
  uint64_t id = 0, peer_iterator = 0;
  if (lunatic_net_tcp_accept(listener, LUNATIC_PTR(&id), LUNATIC_PTR(&peer_iterator)) != 0) {
    say("accept failed: %s", error_text(id));
    exit(1);
  }
  address_t ignored;
  first_address(peer_iterator, peer ? peer : &ignored);
  return id;
}

// Writes all of `len` bytes (a write may take only part); returns 0 on success.
static int write_all(uint64_t stream, const void* data, uint32_t len) {
  const uint8_t* p = data;
  while (len > 0) {
    struct {
      uint32_t ptr, len;
    } iov = {LUNATIC_PTR(p), len};
    uint64_t n = 0;
    uint32_t r = lunatic_net_tcp_write_vectored(stream, LUNATIC_PTR(&iov), 1, LUNATIC_PTR(&n));
    if (r != 0) {
      say("write: %u %s", r, r == 1 ? error_text(n) : "timed out");
      return -1;
    }
    p += n;
    len -= (uint32_t)n;
  }
  return 0;
}

// Reads exactly `len` bytes; returns the count read before the end of the stream or an error.
static uint32_t read_exact(uint64_t stream, void* data, uint32_t len) {
  uint8_t* p = data;
  uint32_t got = 0;
  while (got < len) {
    uint64_t n = 0;
    uint32_t r = lunatic_net_tcp_read(stream, LUNATIC_PTR(p + got), len - got, LUNATIC_PTR(&n));
    if (r != 0) {
      say("read: %u %s", r, r == 1 ? error_text(n) : "timed out");
      break;
    }
    if (n == 0) break;
    got += (uint32_t)n;
  }
  return got;
}

// ---- echo ----

// Connects to the port, writes its message, reads the echo and reports to main.
EXPORT("echo_client") void echo_client(int64_t main_pid, int64_t version, int64_t port) {
  uint64_t stream = connect_loopback((uint32_t)version, (uint16_t)port);
  char back[6] = {0};
  if (stream != UINT64_MAX && write_all(stream, "hello", 5) == 0) read_exact(stream, back, 5);
  uint64_t iterator = 0;
  address_t peer;
  if (stream != UINT64_MAX && lunatic_net_tcp_peer_addr(stream, LUNATIC_PTR(&iterator)) == 0 &&
      first_address(iterator, &peer)) {
    say("client: echo '%s', server at %s, port matches: %s", back, format_address(&peer),
        peer.port == port ? "yes" : "no");
  }
  send_i64s((uint64_t)main_pid, DONE_TAG, 0, 0);
}

static int echo(uint32_t version) {
  uint16_t port = 0;
  uint64_t listener = bind_loopback(version, &port);
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  param_i64(&p, version);
  param_i64(&p, port);
  spawn_or_report(0, "echo_client", &p);
  address_t peer;
  uint64_t stream = accept_one(listener, &peer);
  say("server: peer is %s (type %u)", format_address(&peer), peer.type);
  char got[6] = {0};
  read_exact(stream, got, 5);
  say("server: read '%s'", got);  // before the echo: the client prints only after it
  write_all(stream, got, 5);
  receive_tag(DONE_TAG, 5000);
  lunatic_net_drop_tcp_stream(stream);
  lunatic_net_drop_tcp_listener(listener);
  return 0;
}

// ---- peek, timeouts, a peer that goes away ----

// Connects and writes `text` (if any), then waits until main says go, and ends.
EXPORT("writer_client") void writer_client(int64_t main_pid, int64_t port, int64_t text_len) {
  uint64_t stream = connect_loopback(4, (uint16_t)port);
  if (stream != UINT64_MAX && text_len > 0) write_all(stream, "abcdefgh", (uint32_t)text_len);
  send_i64s((uint64_t)main_pid, DONE_TAG, 0, 0);
  await_go();
}

static uint64_t serve_one_writer(int64_t text_len, uint64_t* client) {
  uint16_t port = 0;
  uint64_t listener = bind_loopback(4, &port);
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  param_i64(&p, port);
  param_i64(&p, text_len);
  *client = spawn_or_report(0, "writer_client", &p);
  uint64_t stream = accept_one(listener, 0);
  lunatic_net_drop_tcp_listener(listener);
  receive_tag(DONE_TAG, 5000);  // the client has written
  return stream;
}

static int peek(void) {
  uint64_t client = 0;
  uint64_t stream = serve_one_writer(3, &client);
  char seen[4] = {0}, read[4] = {0};
  uint64_t n = 0;
  uint32_t r = lunatic_net_tcp_peek(stream, LUNATIC_PTR(seen), 3, LUNATIC_PTR(&n));
  say("peek: %u, %llu bytes '%s'", r, (unsigned long long)n, seen);
  read_exact(stream, read, 3);
  say("read after peek: '%s'", read);
  send_go(client);
  return 0;
}

static int read_timeout(void) {
  uint64_t client = 0;
  uint64_t stream = serve_one_writer(0, &client);
  say("no timeout at first: %s", lunatic_net_get_read_timeout(stream) == UINT64_MAX ? "yes" : "no");
  lunatic_net_set_read_timeout(stream, 100);
  lunatic_net_set_write_timeout(stream, 200);
  lunatic_net_set_peek_timeout(stream, 300);
  say("timeouts: read %llu, write %llu, peek %llu",
      (unsigned long long)lunatic_net_get_read_timeout(stream),
      (unsigned long long)lunatic_net_get_write_timeout(stream),
      (unsigned long long)lunatic_net_get_peek_timeout(stream));
  uint64_t clone = lunatic_net_clone_tcp_stream(stream);
  say("a clone shares them: %s", lunatic_net_get_read_timeout(clone) == 100 ? "yes" : "no");
  char buf[8];
  uint64_t n = 0, t0 = now_ns();
  uint32_t r = lunatic_net_tcp_read(stream, LUNATIC_PTR(buf), sizeof buf, LUNATIC_PTR(&n));
  uint64_t waited = now_ns() - t0;
  say("read: %u, waited >= 100 ms: %s, < 2 s: %s", r, waited >= 100000000ull ? "yes" : "no",
      waited < 2000000000ull ? "yes" : "no");
  lunatic_net_set_read_timeout(stream, UINT64_MAX);
  say("cleared: %s", lunatic_net_get_read_timeout(stream) == UINT64_MAX ? "yes" : "no");
  send_go(client);
  return 0;
}

static int peer_gone(void) {
  uint64_t client = 0;
  uint64_t stream = serve_one_writer(0, &client);
  lunatic_kill(client);  // its socket must close: its resources go with it
  char buf[8];
  uint64_t n = 99;
  uint32_t r = lunatic_net_tcp_read(stream, LUNATIC_PTR(buf), sizeof buf, LUNATIC_PTR(&n));
  say("read after the peer died: %u, %llu bytes", r, (unsigned long long)n);
  return 0;
}

static int refused(void) {
  uint16_t port = 0;
  uint64_t listener = bind_loopback(4, &port);
  lunatic_net_drop_tcp_listener(listener);  // the port is free again: nobody listens
  uint64_t id = 0;
  uint32_t r =
      lunatic_net_tcp_connect(4, LUNATIC_PTR(kLoopback4), port, 0, 0, 2000, LUNATIC_PTR(&id));
  say("connect: %u, %s", r, r == 1 ? error_text(id) : "-");
  return 0;
}

// ---- resources between processes ----

// Takes the stream from its first message and echoes 5 bytes through it.
EXPORT("handler") void handler(int64_t main_pid) {
  receive_tag(PORT_TAG, 5000);
  uint64_t stream = lunatic_message_take_tcp_stream(0);
  char got[6] = {0};
  read_exact(stream, got, 5);
  say("handler: echoing '%s'", got);
  write_all(stream, got, 5);
  send_i64s((uint64_t)main_pid, DONE_TAG, 0, 0);
}

static int move(void) {
  uint16_t port = 0;
  uint64_t listener = bind_loopback(4, &port);
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  param_i64(&p, 4);
  param_i64(&p, port);
  spawn_or_report(0, "echo_client", &p);
  uint64_t stream = accept_one(listener, 0);
  params_t hp = {0};
  param_i64(&hp, (int64_t)lunatic_process_id());
  uint64_t handler_pid = spawn_or_report(0, "handler", &hp);
  lunatic_message_create_data(PORT_TAG, 0);
  uint64_t index = lunatic_message_push_tcp_stream(stream);
  say("pushed at index %llu", (unsigned long long)index);  // before the handler can print
  lunatic_message_send(handler_pid);
  receive_tag(DONE_TAG, 5000);
  receive_tag(DONE_TAG, 5000);
  // The stream left this process with the message: its id is gone here.
  say("the acceptor's id is gone: next line is the trap");
  lunatic_net_drop_tcp_stream(stream);
  return 0;
}

// Reads 1000 numbered bytes from a shared connection while the other side streams them.
EXPORT("clone_reader") void clone_reader(int64_t main_pid) {
  receive_tag(PORT_TAG, 5000);
  uint64_t stream = lunatic_message_take_tcp_stream(0);
  uint8_t buf[1000];
  uint32_t got = read_exact(stream, buf, sizeof buf);
  int ok = got == sizeof buf;
  for (uint32_t i = 0; ok && i < got; ++i) ok = buf[i] == (uint8_t)(i * 7);
  say("reader: %u bytes, in order: %s", got, ok ? "yes" : "no");
  send_i64s((uint64_t)main_pid, DONE_TAG, 0, 0);
}

// Echoes 1000 bytes back, one at a time.
EXPORT("byte_echo") void byte_echo(int64_t main_pid, int64_t port) {
  uint64_t stream = connect_loopback(4, (uint16_t)port);
  for (int i = 0; i < 1000 && stream != UINT64_MAX; ++i) {
    uint8_t b;
    if (read_exact(stream, &b, 1) != 1 || write_all(stream, &b, 1) != 0) break;
  }
  send_i64s((uint64_t)main_pid, DONE_TAG, 0, 0);
  await_go();
}

static int clone_stream(void) {
  uint16_t port = 0;
  uint64_t listener = bind_loopback(4, &port);
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  param_i64(&p, port);
  uint64_t peer = spawn_or_report(0, "byte_echo", &p);
  uint64_t stream = accept_one(listener, 0);
  params_t rp = {0};
  param_i64(&rp, (int64_t)lunatic_process_id());
  uint64_t reader = spawn_or_report(0, "clone_reader", &rp);
  lunatic_message_create_data(PORT_TAG, 0);
  lunatic_message_push_tcp_stream(lunatic_net_clone_tcp_stream(stream));
  lunatic_message_send(reader);
  for (int i = 0; i < 1000; ++i) {
    uint8_t b = (uint8_t)(i * 7);
    if (write_all(stream, &b, 1) != 0) break;
  }
  receive_tag(DONE_TAG, 10000);
  receive_tag(DONE_TAG, 10000);
  send_go(peer);
  return 0;
}

// ---- many connections ----

// Serves one connection: echoes 8-byte numbers until the client closes.
EXPORT("conn_server") void conn_server(int64_t unused) {
  (void)unused;
  receive_tag(PORT_TAG, 10000);
  uint64_t stream = lunatic_message_take_tcp_stream(0);
  int64_t v;
  while (read_exact(stream, &v, 8) == 8) write_all(stream, &v, 8);
}

EXPORT("many_client") void many_client(int64_t main_pid, int64_t port, int64_t index) {
  uint64_t stream = connect_loopback(4, (uint16_t)port);
  int ok = stream != UINT64_MAX;
  for (int64_t round = 0; ok && round < 20; ++round) {
    int64_t v = index * 1000 + round, back = -1;
    ok = write_all(stream, &v, 8) == 0 && read_exact(stream, &back, 8) == 8 && back == v;
  }
  int64_t result = ok;
  send_i64s((uint64_t)main_pid, DONE_TAG, &result, 1);
}

static int many(int n) {
  uint16_t port = 0;
  uint64_t listener = bind_loopback(4, &port);
  for (int i = 0; i < n; ++i) {
    params_t p = {0};
    param_i64(&p, (int64_t)lunatic_process_id());
    param_i64(&p, port);
    param_i64(&p, i);
    spawn_or_report(0, "many_client", &p);
  }
  for (int i = 0; i < n; ++i) {
    uint64_t stream = accept_one(listener, 0);
    params_t p = {0};
    param_i64(&p, 0);
    uint64_t server = spawn_or_report(0, "conn_server", &p);
    lunatic_message_create_data(PORT_TAG, 0);
    lunatic_message_push_tcp_stream(stream);
    lunatic_message_send(server);
  }
  int ok = 0;
  for (int i = 0; i < n; ++i) {
    if (receive_tag(DONE_TAG, 30000) != LUNATIC_MESSAGE_DATA) break;
    int64_t result = 0;
    read_i64s(&result, 1);
    ok += result == 1;
  }
  say("connections that echoed 20 rounds correctly: %d of %d", ok, n);
  return 0;
}

// ---- a large write ----

EXPORT("sink") void sink(int64_t main_pid, int64_t port, int64_t size) {
  uint64_t stream = connect_loopback(4, (uint16_t)port);
  uint8_t* buf = malloc((size_t)size);
  uint32_t got = read_exact(stream, buf, (uint32_t)size);
  int ok = got == (uint32_t)size;
  for (int64_t i = 0; ok && i < size; ++i) ok = buf[i] == (uint8_t)(i % 251);
  int64_t result = ok ? got : -1;
  send_i64s((uint64_t)main_pid, DONE_TAG, &result, 1);
}

static int large(void) {
  const int64_t size = 4 << 20;
  uint16_t port = 0;
  uint64_t listener = bind_loopback(4, &port);
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  param_i64(&p, port);
  param_i64(&p, size);
  spawn_or_report(0, "sink", &p);
  uint64_t stream = accept_one(listener, 0);
  uint8_t* data = malloc((size_t)size);
  for (int64_t i = 0; i < size; ++i) data[i] = (uint8_t)(i % 251);
  struct {
    uint32_t ptr, len;
  } iov = {LUNATIC_PTR(data), (uint32_t)size};
  uint64_t n = 0;
  uint32_t r = lunatic_net_tcp_write_vectored(stream, LUNATIC_PTR(&iov), 1, LUNATIC_PTR(&n));
  say("one write: %u, took part of it: %s", r, n > 0 && n <= (uint64_t)size ? "yes" : "no");
  if (r == 0) write_all(stream, data + n, (uint32_t)(size - (int64_t)n));
  receive_tag(DONE_TAG, 30000);
  int64_t result = 0;
  read_i64s(&result, 1);
  say("the reader got %lld bytes, all correct", (long long)result);
  return 0;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  if (!strcmp(mode, "echo")) return echo(argc > 2 ? (uint32_t)atoi(argv[2]) : 4);
  if (!strcmp(mode, "peek")) return peek();
  if (!strcmp(mode, "read_timeout")) return read_timeout();
  if (!strcmp(mode, "peer_gone")) return peer_gone();
  if (!strcmp(mode, "refused")) return refused();
  if (!strcmp(mode, "move")) return move();
  if (!strcmp(mode, "clone")) return clone_stream();
  if (!strcmp(mode, "many")) return many(argc > 2 ? atoi(argv[2]) : 100);
  if (!strcmp(mode, "large")) return large();
  if (!strcmp(mode, "bad_stream")) {
    uint64_t n = 0;
    char buf[4];
    lunatic_net_tcp_read(12345, LUNATIC_PTR(buf), 4, LUNATIC_PTR(&n));
    return 0;
  }
  if (!strcmp(mode, "bad_buffer")) {
    uint64_t client = 0;
    uint64_t stream = serve_one_writer(3, &client);
    uint64_t n = 0;
    lunatic_net_tcp_read(stream, BAD_PTR, 64, LUNATIC_PTR(&n));
    return 0;
  }
  if (!strcmp(mode, "bad_type")) {
    uint64_t id = 0;
    lunatic_net_tcp_bind(5, LUNATIC_PTR(kLoopback4), 0, 0, 0, LUNATIC_PTR(&id));
    return 0;
  }
  say("unknown mode '%s'", mode);
  return 2;
}
