// The TCP and UDP service (net/socket_service.hpp) on loopback, with no guest and no scheduler:
// plain addresses, spans and deadlines in, sockets, counts and errnos out.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "net/socket_service.hpp"
#include "runtime/reactor.hpp"
#include "wasi_test_support.hpp"

namespace lunatic::net {
namespace {

using wasi::testing::loopback;

using namespace std::chrono_literals;

std::span<const std::uint8_t> bytes_of(const std::string& text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

class NetSocketService : public ::testing::Test {
 protected:
  runtime::Reactor reactor_;
  wasi::testing::TestBlocking blocking_;
};

TEST_F(NetSocketService, AListenerAcceptsAConnectionAndBytesArrivePeekedThenRead) {
  auto listener = tcp_listen(reactor_, loopback(0));
  ASSERT_TRUE(listener.ok()) << os_error_text(listener.error);
  const auto bound = local_address(*listener.value);
  ASSERT_TRUE(bound.ok());
  ASSERT_NE(bound.value.port(), 0);

  auto client = tcp_connect(reactor_, blocking_, bound.value, std::nullopt);
  ASSERT_TRUE(client.ok()) << os_error_text(client.error);
  auto accepted = tcp_accept(reactor_, blocking_, *listener.value);
  ASSERT_TRUE(accepted.ok()) << os_error_text(accepted.error);
  EXPECT_EQ(accepted.value.peer.to_string(), local_address(*client.value).value.to_string());
  EXPECT_EQ(peer_address(*client.value).value.to_string(), bound.value.to_string());

  const std::string hello = "hello", empty, world = " world";
  const std::vector<std::span<const std::uint8_t>> buffers{bytes_of(hello), bytes_of(empty),
                                                           bytes_of(world)};
  const IoResult sent = tcp_send(blocking_, *client.value, buffers, std::nullopt);
  ASSERT_TRUE(sent.ok());
  EXPECT_EQ(sent.value, 11);

  std::vector<std::uint8_t> buffer(64);
  const IoResult peeked = tcp_peek(blocking_, *accepted.value.socket, buffer, std::nullopt);
  ASSERT_TRUE(peeked.ok());
  EXPECT_GT(peeked.value, 0);
  std::string received;
  while (received.size() < 11) {
    const IoResult read = tcp_receive(blocking_, *accepted.value.socket, buffer, std::nullopt);
    ASSERT_TRUE(read.ok());
    ASSERT_GT(read.value, 0);
    received.append(buffer.begin(), buffer.begin() + read.value);
  }
  EXPECT_EQ(received, "hello world");
}

TEST_F(NetSocketService, AReadWithNothingToReadTimesOutAtItsDeadline) {
  auto listener = tcp_listen(reactor_, loopback(0));
  ASSERT_TRUE(listener.ok());
  auto client =
      tcp_connect(reactor_, blocking_, local_address(*listener.value).value, std::nullopt);
  ASSERT_TRUE(client.ok());
  std::vector<std::uint8_t> buffer(8);
  // The stand-in for the scheduler ends a wait at its deadline without waiting in real time.
  const IoResult read = tcp_receive(blocking_, *client.value, buffer, runtime::Clock::now() + 30ms);
  EXPECT_TRUE(read.timed_out);
  EXPECT_FALSE(read.ok());
  EXPECT_EQ(blocking_.fd_waits, 1);
}

TEST_F(NetSocketService, ConnectingToAPortNobodyListensOnIsRefused) {
  auto listener = tcp_listen(reactor_, loopback(0));
  ASSERT_TRUE(listener.ok());
  const SocketAddress unused = local_address(*listener.value).value;
  listener.value.reset();  // closes it: nobody listens there now
  const auto refused = tcp_connect(reactor_, blocking_, unused, std::nullopt);
  EXPECT_EQ(refused.error, ECONNREFUSED);
  EXPECT_EQ(refused.value, nullptr);
}

TEST_F(NetSocketService, DatagramsNameTheirSenderAndOptionsReadBackAsSet) {
  auto a = udp_bind(reactor_, loopback(0));
  auto b = udp_bind(reactor_, loopback(0));
  ASSERT_TRUE(a.ok() && b.ok());
  const SocketAddress a_address = local_address(*a.value).value;
  const SocketAddress b_address = local_address(*b.value).value;

  const std::string ping = "ping";
  ASSERT_EQ(udp_send_to(blocking_, *a.value, bytes_of(ping), b_address).value, 4);
  std::vector<std::uint8_t> buffer(2);
  SocketAddress sender;
  const IoResult received = udp_receive_from(blocking_, *b.value, buffer, sender);
  ASSERT_TRUE(received.ok());
  EXPECT_EQ(received.value, 2);  // cut to the buffer
  EXPECT_EQ(sender.to_string(), a_address.to_string());

  ASSERT_EQ(udp_connect(*b.value, a_address), 0);
  EXPECT_EQ(peer_address(*b.value).value.to_string(), a_address.to_string());
  ASSERT_EQ(udp_send(blocking_, *b.value, bytes_of(ping)).value, 4);
  buffer.resize(16);
  EXPECT_EQ(udp_receive(blocking_, *a.value, buffer).value, 4);

  EXPECT_EQ(udp_set_broadcast(*a.value, true), 0);
  EXPECT_TRUE(udp_broadcast(*a.value).value);
  EXPECT_EQ(udp_set_ttl(*a.value, 17), 0);
  EXPECT_EQ(udp_ttl(*a.value).value, 17u);
}

}  // namespace
}  // namespace lunatic::net
