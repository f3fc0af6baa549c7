// An HTTP/1.1 hello-world server: one process per connection, keep-alive and pipelined
// requests answered in order. A request is everything up to an empty line; a client that sends
// more than 8 KiB without one gets a 400 and is closed.
//
//   lunatic run http_hello.wasm [PORT]    (default 8080; 0 picks a free port)
#include <cstdio>
#include <cstdlib>
#include <lunatic/lunatic.hpp>
#include <string>
#include <string_view>

namespace net = lunatic::net;

constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, World!";
constexpr std::string_view kBadRequest =
    "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
constexpr std::size_t kMaxRequest = 8192;

void connection(net::TcpStream stream, lunatic::Mailbox<int>) {
  std::string pending, replies;
  std::uint8_t buffer[4096];
  for (;;) {
    auto n = stream.read(buffer);
    if (!n || *n == 0) return;
    pending.append(reinterpret_cast<const char*>(buffer), *n);
    std::size_t end;
    while ((end = pending.find("\r\n\r\n")) != std::string::npos) {
      replies += kResponse;
      pending.erase(0, end + 4);
    }
    if (!replies.empty()) {
      if (!stream.write_all(replies)) return;
      replies.clear();
    }
    if (pending.size() > kMaxRequest) {
      (void)stream.write_all(kBadRequest);
      return;
    }
  }
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 8080);
  auto listener = net::TcpListener::bind(net::SocketAddress::v4({127, 0, 0, 1}, port));
  if (!listener) {
    std::fprintf(stderr, "http_hello: %s\n", listener.error().message.c_str());
    return 1;
  }
  std::printf("http_hello: listening on http://%s/\n",
              listener->local_address().value().to_string().c_str());
  for (;;) {
    auto accepted = listener->accept();
    if (!accepted) continue;
    if (!lunatic::spawn(&connection, accepted->stream))
      std::fprintf(stderr, "http_hello: cannot spawn a process for a client\n");
  }
}
