// A TCP echo server: one process per connection, each echoing what its client sends until the
// client closes. A slow or silent client holds only its own process.
//
//   lunatic run tcp_echo.wasm [PORT]      (default 3000; 0 picks a free port)
#include <cstdio>
#include <cstdlib>
#include <lunatic/lunatic.hpp>

namespace net = lunatic::net;

void echo(net::TcpStream stream, lunatic::Mailbox<int>) {
  std::uint8_t buffer[4096];
  for (;;) {
    auto n = stream.read(buffer);
    if (!n || *n == 0) return;  // closed, or an error: this connection ends, no one else notices
    if (!stream.write_all(std::span<const std::uint8_t>(buffer, *n))) return;
  }
}

int main(int argc, char** argv) {
  const auto port = static_cast<std::uint16_t>(argc > 1 ? std::atoi(argv[1]) : 3000);
  auto listener = net::TcpListener::bind(net::SocketAddress::v4({127, 0, 0, 1}, port));
  if (!listener) {
    std::fprintf(stderr, "tcp_echo: %s\n", listener.error().message.c_str());
    return 1;
  }
  std::printf("tcp_echo: listening on %s\n", listener->local_address().value().to_string().c_str());
  for (;;) {
    auto accepted = listener->accept();
    if (!accepted) continue;
    if (!lunatic::spawn(&echo, accepted->stream))
      std::fprintf(stderr, "tcp_echo: cannot spawn a process for a client\n");
  }
}
