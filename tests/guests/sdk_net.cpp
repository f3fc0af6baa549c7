// The C++ SDK's networking (lunatic/net.hpp), seen from inside (tests/cli/cli_sdk_test.cpp).
// argv[1] picks the case; each prints what it saw. TLS cases need --dir <tests/guests/tls>:/tls.
#include <cstdio>
#include <lunatic/lunatic.hpp>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace net = lunatic::net;

namespace {

const net::SocketAddress kAnyLoopbackPort = net::SocketAddress::v4({127, 0, 0, 1}, 0);

std::string text_of(std::span<const std::uint8_t> bytes) {
  return std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

std::string read_file(const char* path) {
  std::string out;
  if (FILE* f = std::fopen(path, "rb")) {
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) out.append(buf, n);
    std::fclose(f);
  }
  return out;
}

// Echoes lines until the client closes; its stream came as the spawn argument.
void echo(net::TcpStream stream, lunatic::Mailbox<int>) {
  std::uint8_t buffer[256];
  for (;;) {
    auto n = stream.read(buffer);
    if (!n || *n == 0) return;
    (void)stream.write_all(std::span<const std::uint8_t>(buffer, *n));
  }
}

void tcp() {
  auto listener = net::TcpListener::bind(kAnyLoopbackPort).value();
  const auto local = listener.local_address().value();
  std::printf("listening on 127.0.0.1: %s\n",
              local.to_string().rfind("127.0.0.1:", 0) == 0 ? "yes" : "no");
  auto client = net::TcpStream::connect("localhost:" + std::to_string(local.port), 2s).value();
  auto accepted = listener.accept().value();
  std::printf("the client's peer is the listener: %s, the server's peer is on loopback: %s\n",
              client.peer_address().value().port == local.port ? "yes" : "no",
              accepted.peer.to_string().rfind("127.0.0.1:", 0) == 0 ? "yes" : "no");
  lunatic::spawn(&echo, accepted.stream).value();
  accepted.stream = net::TcpStream();  // the echo process holds its own handle
  (void)client.write_all("ping");
  std::uint8_t buffer[16];
  auto n = client.read(buffer).value();
  std::printf("echoed: %s\n", text_of({buffer, n}).c_str());
  client.set_read_timeout(50ms);
  auto late = client.read(buffer);
  std::printf("a read with nothing to read: %s\n",
              late ? "data" : lunatic::to_string(late.error().kind));
}

void refused() {
  std::uint16_t port;
  {
    auto listener = net::TcpListener::bind(kAnyLoopbackPort).value();
    port = listener.local_address().value().port;
  }  // dropped: nobody listens there now
  auto stream = net::TcpStream::connect(net::SocketAddress::v4({127, 0, 0, 1}, port));
  std::printf("connect: %s, %s\n", lunatic::to_string(stream.error().kind),
              stream.error().message.c_str());
  auto unknown = net::resolve("no-such-host.invalid:80");
  std::printf("resolve an unknown name: %s\n",
              unknown ? "addresses" : lunatic::to_string(unknown.error().kind));
}

struct Hand {
  net::TcpStream stream;
  lunatic::Process<std::string> reply_to;
};

// A stream inside a struct inside a message: reads a line and reports it.
void reader(lunatic::Mailbox<Hand> mailbox) {
  Hand hand = mailbox.receive(2s).value();
  std::uint8_t buffer[64];
  auto n = hand.stream.read(buffer);
  hand.reply_to.send(n ? text_of({buffer, *n}) : std::string("read failed"));
}

void stream_in_message() {
  auto listener = net::TcpListener::bind(kAnyLoopbackPort).value();
  auto client = net::TcpStream::connect(listener.local_address().value()).value();
  auto accepted = listener.accept().value();
  auto child = lunatic::spawn(&reader).value();
  child.send(
      Hand{std::move(accepted.stream), lunatic::Process<std::string>(lunatic::this_process_id())});
  (void)client.write_all("through a message");
  std::printf("the child read: %s\n", lunatic::Mailbox<std::string>().receive(2s).value().c_str());
}

void udp() {
  auto a = net::UdpSocket::bind(kAnyLoopbackPort).value();
  auto b = net::UdpSocket::bind(kAnyLoopbackPort).value();
  const std::string text = "datagram";
  a.send_to(std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(text.data()),
                                          text.size()),
            b.local_address().value())
      .value();
  std::uint8_t buffer[32];
  auto got = b.receive_from(buffer).value();
  std::printf("received '%s' from a: %s\n", text_of({buffer, got.size}).c_str(),
              got.from.port == a.local_address().value().port ? "yes" : "no");
  b.set_ttl(9);
  std::printf("ttl: %u\n", b.ttl());
}

void permission() {
  auto listener = net::TcpListener::bind(kAnyLoopbackPort).value();
  const std::uint16_t port = listener.local_address().value().port;
  auto config = lunatic::Config::create().value();
  const std::uint8_t loopback[4] = {127, 0, 0, 1};
  config.can_spawn_processes(false).allow_connect(loopback, 32, port, port);
  std::printf("restricted: %s\n", config.can_use_network() ? "no" : "yes");
  auto child = lunatic::spawn(
      +[](std::uint16_t allowed, lunatic::Mailbox<int>) {
        auto ok = net::TcpStream::connect(net::SocketAddress::v4({127, 0, 0, 1}, allowed));
        auto denied = net::TcpStream::connect(
            net::SocketAddress::v4({127, 0, 0, 1}, static_cast<std::uint16_t>(allowed + 1)));
        auto bind = net::UdpSocket::bind(kAnyLoopbackPort);
        std::printf("allowed port: %s, another port: %s, bind: %s\n", ok ? "connected" : "refused",
                    denied ? "connected" : lunatic::to_string(denied.error().kind),
                    bind ? "bound" : lunatic::to_string(bind.error().kind));
      },
      port, {.link = false, .config = &config});
  child.value().monitor();
  (void)lunatic::Mailbox<int>().receive_event(5s);
}

void tls() {
  const std::string certificate = read_file("/tls/server.crt"), key = read_file("/tls/server.key");
  auto listener = net::TlsListener::bind(kAnyLoopbackPort, certificate, key).value();
  const std::uint16_t port = listener.local_address().value().port;
  auto served = lunatic::spawn(
      +[](std::uint16_t, lunatic::Mailbox<net::TlsStream> mailbox) {
        for (int i = 0; i < 2; ++i) {
          auto stream = mailbox.receive(5s);
          if (!stream) return;
          std::uint8_t buffer[32];
          auto n = stream->read(buffer);
          if (n && *n > 0) (void)stream->write_all(std::span<const std::uint8_t>(buffer, *n));
        }
      },
      port);
  auto server = served.value();
  auto bad = lunatic::spawn(
      +[](std::uint16_t p, lunatic::Mailbox<int>) {
        const std::vector<std::string> cas{read_file("/tls/other.crt")};
        auto s = net::TlsStream::connect("localhost", p, cas, 2s);
        std::printf("untrusted: %s\n", s ? "connected" : s.error().message.c_str());
      },
      port);
  server.send(listener.accept().value().stream);
  bad.value().monitor();
  (void)lunatic::Mailbox<int>().receive_event(5s);
  auto good = lunatic::spawn(
      +[](std::uint16_t p, lunatic::Mailbox<int>) {
        const std::vector<std::string> cas{read_file("/tls/server.crt")};
        auto s = net::TlsStream::connect("localhost", p, cas, 2s).value();
        (void)s.write_all("secret");
        std::uint8_t buffer[32];
        auto n = s.read(buffer).value();
        std::printf("trusted: echoed '%s'\n", text_of({buffer, n}).c_str());
      },
      port);
  server.send(listener.accept().value().stream);
  good.value().monitor();
  (void)lunatic::Mailbox<int>().receive_event(5s);
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "tcp")
    tcp();
  else if (mode == "refused")
    refused();
  else if (mode == "stream_in_message")
    stream_in_message();
  else if (mode == "udp")
    udp();
  else if (mode == "permission")
    permission();
  else if (mode == "tls")
    tls();
  else {
    std::fprintf(stderr, "unknown mode '%s'\n", mode.c_str());
    return 2;
  }
  return 0;
}
