// net_tls.wasm <mode>: lunatic::networking TLS on loopback, run with --dir <tests/guests/tls>:/tls
// (server.crt for CN=localhost and IP 127.0.0.1 with server.key; other.crt, an unrelated CA).
//
//   echo          a client trusting server.crt connects to "localhost", writes, reads the echo
//                 from a handler process the acceptor gave the stream in a message
//   untrusted     a client trusting only other.crt is refused with a reason; the server's
//                 handler sees the failed handshake as an error, and the server then serves a
//                 good client
//   wrong_name    the certificate is for localhost and 127.0.0.1; connecting as 127.0.0.2 to a
//                 server there is refused
//   silent        a plain TCP client connects and says nothing: the acceptor is not held up
//                 (the handshake runs in the handler), and a good client is served meanwhile
//   garbage       a plain TCP client sends bytes that are not TLS: its handler gets an error,
//                 nothing else is disturbed
//   read_timeout  a TLS read with a 100 ms timeout on a silent peer returns 9027
//   bad_pem       tls_bind with a certificate that is not PEM: 1 and a reason
#include <stdlib.h>

#include "net_util.h"

#define STREAM_TAG 0x74
#define DONE_TAG 0x75

typedef struct {
  uint32_t ptr, len;
} ciovec_t;

static const uint8_t kLoopback[4] = {127, 0, 0, 1};
static uint8_t certificate[8192], key[8192], other[8192];
static uint32_t certificate_len, key_len, other_len;

static void load_files(void) {
  certificate_len = read_file("/tls/server.crt", certificate, sizeof certificate);
  key_len = read_file("/tls/server.key", key, sizeof key);
  other_len = read_file("/tls/other.crt", other, sizeof other);
  if (!certificate_len || !key_len || !other_len) {
    say("cannot read the test certificates under /tls");
    exit(1);
  }
}

static uint64_t tls_listen(const uint8_t addr[4], uint16_t* port) {
  uint64_t id = 0;
  if (lunatic_net_tls_bind(4, LUNATIC_PTR(addr), 0, 0, 0, LUNATIC_PTR(&id),
                           LUNATIC_PTR(certificate), certificate_len, LUNATIC_PTR(key),
                           key_len) != 0) {
    say("tls bind failed: %s", error_text(id));
    exit(1);
  }
  uint64_t iterator = 0;
  *port = port_of(lunatic_net_tls_local_addr(id, LUNATIC_PTR(&iterator)), iterator);
  return id;
}

static int tls_write_all(uint64_t stream, const void* data, uint32_t len) {
  const uint8_t* p = data;
  while (len > 0) {
    ciovec_t iov = {LUNATIC_PTR(p), len};
    uint64_t n = 0;
    uint32_t r = lunatic_net_tls_write_vectored(stream, LUNATIC_PTR(&iov), 1, LUNATIC_PTR(&n));
    if (r != 0) return -1;
    p += n;
    len -= (uint32_t)n;
  }
  return 0;
}

// Reads up to `len` bytes until `len` or the end; prints an error's text as `who`.
static uint32_t tls_read_exact(uint64_t stream, void* data, uint32_t len, const char* who) {
  uint8_t* p = data;
  uint32_t got = 0;
  while (got < len) {
    uint64_t n = 0;
    uint32_t r = lunatic_net_tls_read(stream, LUNATIC_PTR(p + got), len - got, LUNATIC_PTR(&n));
    if (r != 0) {
      say("%s: read %s", who, r == 1 ? "failed with an error" : "timed out");
      if (r == 1) error_text(n);
      break;
    }
    if (n == 0) break;
    got += (uint32_t)n;
  }
  return got;
}

// Takes the stream from its first message and echoes 5 bytes through it (the handshake runs
// here, on the first read).
EXPORT("handler") void handler(int64_t main_pid) {
  receive_tag(STREAM_TAG, 5000);
  uint64_t stream = lunatic_message_take_tls_stream(0);
  char got[6] = {0};
  if (tls_read_exact(stream, got, 5, "handler") == 5) {
    say("handler: echoing '%s'", got);
    tls_write_all(stream, got, 5);
  }
  lunatic_net_drop_tls_stream(stream);
  send_i64s((uint64_t)main_pid, DONE_TAG, 0, 0);
}

// Connects as `host`, trusting `ca`; writes and reads back 5 bytes. Returns 0 on success.
static int good_client(const char* host, uint16_t port, const uint8_t* ca, uint32_t ca_len,
                       const char* who) {
  ciovec_t cas = {LUNATIC_PTR(ca), ca_len};
  uint64_t stream = 0;
  uint32_t r = lunatic_net_tls_connect(LUNATIC_PTR(host), (uint32_t)strlen(host), port, 5000,
                                       LUNATIC_PTR(&stream), LUNATIC_PTR(&cas), 1);
  if (r != 0) {
    say("%s: connect %s: %s", who, r == 1 ? "failed" : "timed out",
        r == 1 ? error_text(stream) : "-");
    return -1;
  }
  char back[6] = {0};
  tls_write_all(stream, "hello", 5);
  tls_read_exact(stream, back, 5, who);
  say("%s: echo '%s'", who, back);
  lunatic_net_drop_tls_stream(stream);
  return 0;
}

// Accepts `count` connections in this process, each handed to a handler process.
static void serve(uint64_t listener, int count) {
  for (int i = 0; i < count; ++i) {
    uint64_t stream = 0, peer = 0;
    if (lunatic_net_tls_accept(listener, LUNATIC_PTR(&stream), LUNATIC_PTR(&peer)) != 0) continue;
    lunatic_net_drop_dns_iterator(peer);
    params_t p = {0};
    param_i64(&p, (int64_t)lunatic_process_id());
    uint64_t pid = spawn_or_report(0, "handler", &p);
    lunatic_message_create_data(STREAM_TAG, 0);
    lunatic_message_push_tls_stream(stream);
    lunatic_message_send(pid);
  }
}

// A client process: connects to `port` per its mode and reports to main when done.
//   mode 0: good client as "localhost"      1: trusts other.crt only
//   mode 2: plain TCP, silent until told    3: plain TCP, sends garbage
//   mode 4: good client as "127.0.0.2"
EXPORT("client") void client(int64_t main_pid, int64_t port, int64_t mode) {
  load_files();
  const char* who = mode == 0   ? "good client"
                    : mode == 1 ? "untrusting client"
                    : mode == 4 ? "wrong-name client"
                                : "tcp client";
  if (mode == 0) good_client("localhost", (uint16_t)port, certificate, certificate_len, who);
  if (mode == 1) good_client("localhost", (uint16_t)port, other, other_len, who);
  if (mode == 4) good_client("127.0.0.2", (uint16_t)port, certificate, certificate_len, who);
  if (mode == 2 || mode == 3) {
    uint64_t stream = 0;
    if (lunatic_net_tcp_connect(4, LUNATIC_PTR(kLoopback), (uint32_t)port, 0, 0, 2000,
                                LUNATIC_PTR(&stream)) == 0) {
      if (mode == 3) {
        static const char junk[] = "GET / HTTP/1.1\r\n\r\nthis is not TLS at all";
        ciovec_t iov = {LUNATIC_PTR(junk), sizeof junk - 1};
        uint64_t n = 0;
        lunatic_net_tcp_write_vectored(stream, LUNATIC_PTR(&iov), 1, LUNATIC_PTR(&n));
      }
      send_i64s((uint64_t)main_pid, DONE_TAG, 0, 0);
      if (mode == 2) await_go();  // silent, holding its connection open
      return;
    }
  }
  send_i64s((uint64_t)main_pid, DONE_TAG, 0, 0);
}

static uint64_t spawn_client(uint16_t port, int64_t mode) {
  params_t p = {0};
  param_i64(&p, (int64_t)lunatic_process_id());
  param_i64(&p, port);
  param_i64(&p, mode);
  return spawn_or_report(0, "client", &p);
}

static int echo(void) {
  uint16_t port = 0;
  uint64_t listener = tls_listen(kLoopback, &port);
  spawn_client(port, 0);
  serve(listener, 1);
  receive_tag(DONE_TAG, 10000);  // handler
  receive_tag(DONE_TAG, 10000);  // client
  return 0;
}

static int untrusted(void) {
  uint16_t port = 0;
  uint64_t listener = tls_listen(kLoopback, &port);
  spawn_client(port, 1);
  serve(listener, 1);
  receive_tag(DONE_TAG, 10000);
  receive_tag(DONE_TAG, 10000);
  spawn_client(port, 0);
  serve(listener, 1);
  receive_tag(DONE_TAG, 10000);
  receive_tag(DONE_TAG, 10000);
  return 0;
}

static int wrong_name(void) {
  const uint8_t other_loopback[4] = {127, 0, 0, 2};
  uint16_t port = 0;
  uint64_t listener = tls_listen(other_loopback, &port);
  spawn_client(port, 4);
  serve(listener, 1);
  receive_tag(DONE_TAG, 10000);
  receive_tag(DONE_TAG, 10000);
  return 0;
}

static int silent_or_garbage(int64_t mode) {
  uint16_t port = 0;
  uint64_t listener = tls_listen(kLoopback, &port);
  uint64_t bad = spawn_client(port, mode);
  serve(listener, 1);            // the bad client's connection: handed off at once
  receive_tag(DONE_TAG, 10000);  // the bad client is connected (and has sent, for garbage)
  spawn_client(port, 0);
  serve(listener, 1);
  // The good client's handler and the good client itself; for garbage, also the bad handler.
  for (int i = 0; i < (mode == 3 ? 3 : 2); ++i) receive_tag(DONE_TAG, 10000);
  send_go(bad);
  return 0;
}

static int read_timeout(void) {
  uint16_t port = 0;
  uint64_t listener = tls_listen(kLoopback, &port);
  uint64_t silent = spawn_client(port, 2);
  uint64_t stream = 0, peer = 0;
  lunatic_net_tls_accept(listener, LUNATIC_PTR(&stream), LUNATIC_PTR(&peer));
  receive_tag(DONE_TAG, 10000);
  lunatic_net_set_tls_read_timeout(stream, 100);
  say("read timeout: %llu", (unsigned long long)lunatic_net_get_tls_read_timeout(stream));
  char buf[8];
  uint64_t n = 0, t0 = now_ns();
  uint32_t r = lunatic_net_tls_read(stream, LUNATIC_PTR(buf), sizeof buf, LUNATIC_PTR(&n));
  say("read: %u, waited >= 100 ms: %s", r, now_ns() - t0 >= 100000000ull ? "yes" : "no");
  send_go(silent);
  return 0;
}

static int bad_pem(void) {
  static const char not_pem[] = "this is not a certificate";
  uint64_t id = 0;
  uint32_t r =
      lunatic_net_tls_bind(4, LUNATIC_PTR(kLoopback), 0, 0, 0, LUNATIC_PTR(&id),
                           LUNATIC_PTR(not_pem), sizeof not_pem - 1, LUNATIC_PTR(key), key_len);
  const char* text = r == 1 ? error_text(id) : "-";
  say("bind: %u, reason names the certificate: %s", r, strstr(text, "certificate") ? "yes" : "no");
  return 0;
}

int main(int argc, char** argv) {
  const char* mode = argc > 1 ? argv[1] : "";
  load_files();
  if (!strcmp(mode, "echo")) return echo();
  if (!strcmp(mode, "untrusted")) return untrusted();
  if (!strcmp(mode, "wrong_name")) return wrong_name();
  if (!strcmp(mode, "silent")) return silent_or_garbage(2);
  if (!strcmp(mode, "garbage")) return silent_or_garbage(3);
  if (!strcmp(mode, "read_timeout")) return read_timeout();
  if (!strcmp(mode, "bad_pem")) return bad_pem();
  say("unknown mode '%s'", mode);
  return 2;
}
