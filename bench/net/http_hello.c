// HTTP/1.1 hello-world server for the net suite: one process per connection, written against
// the raw lunatic::networking imports.
//
//   http_hello.wasm PORT     listens on 127.0.0.1:PORT (0: any free port), prints
//                            "listening on PORT", and serves every request on a connection
//                            (keep-alive, pipelining) with a 13-byte "Hello, World!"
//
// A request is anything up to an empty line; a connection that sends more than 8 KiB without
// one gets a 400 and is closed, so a client sending garbage costs its own process only.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lunatic/abi.h"

#define EXPORT(name) __attribute__((export_name(name), used))
#define STREAM_TAG 1

static const char kResponse[] =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
static const char kBadRequest[] =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

typedef struct {
  uint32_t ptr, len;
} ciovec_t;

static int write_all(uint64_t stream, const char* data, uint32_t len) {
  while (len > 0) {
    ciovec_t iov = {LUNATIC_PTR(data), len};
    uint64_t n = 0;
    if (lunatic_net_tcp_write_vectored(stream, LUNATIC_PTR(&iov), 1, LUNATIC_PTR(&n)) != 0)
      return -1;
    data += n;
    len -= (uint32_t)n;
  }
  return 0;
}

// Serves the connection it takes from its first message until the client closes it.
EXPORT("connection") void connection(int64_t unused) {
  (void)unused;
  if (lunatic_message_receive(0, 0, LUNATIC_NO_TIMEOUT) != LUNATIC_MESSAGE_DATA) return;
  const uint64_t stream = lunatic_message_take_tcp_stream(0);
  static char buf[8192];
  static char out[8 * sizeof kResponse];
  uint32_t used = 0;
  for (;;) {
    uint64_t n = 0;
    if (lunatic_net_tcp_read(stream, LUNATIC_PTR(buf + used), sizeof buf - used, LUNATIC_PTR(&n)) !=
            0 ||
        n == 0)
      break;
    used += (uint32_t)n;
    // Answer every complete request in the buffer at once (pipelined ones in one write).
    uint32_t start = 0, answers = 0;
    for (uint32_t i = start; i + 3 < used; ++i) {
      if (buf[i] == '\r' && buf[i + 1] == '\n' && buf[i + 2] == '\r' && buf[i + 3] == '\n') {
        ++answers;
        start = i + 4;
        i += 3;
      }
    }
    uint32_t out_len = 0;
    for (; answers > 0; --answers) {
      if (out_len + sizeof kResponse - 1 > sizeof out) {
        if (write_all(stream, out, out_len) != 0) goto done;
        out_len = 0;
      }
      memcpy(out + out_len, kResponse, sizeof kResponse - 1);
      out_len += sizeof kResponse - 1;
    }
    if (out_len > 0 && write_all(stream, out, out_len) != 0) break;
    memmove(buf, buf + start, used - start);
    used -= start;
    if (used == sizeof buf) {
      write_all(stream, kBadRequest, sizeof kBadRequest - 1);
      break;
    }
  }
done:
  lunatic_net_drop_tcp_stream(stream);
}

int main(int argc, char** argv) {
  const uint8_t loopback[4] = {127, 0, 0, 1};
  const uint32_t port = argc > 1 ? (uint32_t)atoi(argv[1]) : 0;
  uint64_t listener = 0;
  if (lunatic_net_tcp_bind(4, LUNATIC_PTR(loopback), port, 0, 0, LUNATIC_PTR(&listener)) != 0) {
    fprintf(stderr, "http_hello: cannot bind port %u\n", port);
    return 1;
  }
  uint64_t iterator = 0;
  uint32_t type = 0, flow = 0, scope = 0;
  uint8_t addr[16];
  uint16_t bound = 0;
  lunatic_net_tcp_local_addr(listener, LUNATIC_PTR(&iterator));
  lunatic_net_resolve_next(iterator, LUNATIC_PTR(&type), LUNATIC_PTR(addr), LUNATIC_PTR(&bound),
                           LUNATIC_PTR(&flow), LUNATIC_PTR(&scope));
  lunatic_net_drop_dns_iterator(iterator);
  printf("listening on %u\n", bound);
  fflush(stdout);
  const char* fn = "connection";
  uint8_t params[17] = {LUNATIC_PARAM_I64};
  for (;;) {
    uint64_t stream = 0, peer = 0;
    if (lunatic_net_tcp_accept(listener, LUNATIC_PTR(&stream), LUNATIC_PTR(&peer)) != 0) continue;
    lunatic_net_drop_dns_iterator(peer);
    uint64_t pid = 0;
    if (lunatic_spawn(0, -1, -1, LUNATIC_PTR(fn), (uint32_t)strlen(fn), LUNATIC_PTR(params),
                      sizeof params, LUNATIC_PTR(&pid)) != 0) {
      lunatic_net_drop_tcp_stream(stream);
      continue;
    }
    lunatic_message_create_data(STREAM_TAG, 0);
    lunatic_message_push_tcp_stream(stream);
    lunatic_message_send(pid);
  }
}
