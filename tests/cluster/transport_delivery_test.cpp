// Two NodeTransports in one process on 127.0.0.1: messages arrive whole and in order per stream,
// streams interleave, a large message does not hold up small ones, and send() says no instead
// of blocking or growing without bound.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <future>
#include <iostream>

#include "cluster/transport.hpp"
#include "shared/temp_dir.hpp"
#include "transport_test_node.hpp"

namespace lunatic::cluster {
namespace {

using namespace testing;

class TransportDelivery : public ::testing::Test {
 protected:
  lunatic::testing::TempDir dir_{"transport-delivery"};
  TestCertificates ca_{dir_, "cluster-ca"};
};

std::vector<std::uint8_t> numbered(std::uint64_t number, std::size_t size) {
  std::vector<std::uint8_t> bytes(std::max<std::size_t>(size, sizeof number), 0xAB);
  std::memcpy(bytes.data(), &number, sizeof number);
  return bytes;
}

std::uint64_t number_of(const std::vector<std::uint8_t>& bytes) {
  std::uint64_t number = 0;
  if (bytes.size() >= sizeof number) std::memcpy(&number, bytes.data(), sizeof number);
  return number;
}

TEST_F(TransportDelivery, HundredThousandSmallMessagesOnOneStreamArriveCompleteAndInOrder) {
  constexpr std::uint64_t kCount = 100'000;
  constexpr std::size_t kSize = 100;
  TestNode a(test_options(1, ca_, "node-a"));
  TestNode b(test_options(2, ca_, "node-b"));
  std::atomic<std::uint64_t> next{0};
  std::atomic<bool> out_of_order{false};
  std::promise<std::chrono::steady_clock::time_point> all_arrived;
  b.keep_messages = false;
  b.on_message_hook = [&](std::uint64_t peer, std::uint8_t channel, std::uint64_t stream,
                          const std::vector<std::uint8_t>& bytes) {
    const std::uint64_t expected = next.load();
    if (peer != 1 || channel != 3 || stream != 77 || bytes.size() != kSize ||
        number_of(bytes) != expected) {
      out_of_order = true;
    }
    next = expected + 1;
    if (expected + 1 == kCount) all_arrived.set_value(std::chrono::steady_clock::now());
  };
  connect_pair(a, b);

  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t i = 0; i < kCount; ++i) {
    ASSERT_TRUE(a.transport().send(2, 3, 77, numbered(i, kSize)));
  }
  auto arrived = all_arrived.get_future();
  ASSERT_EQ(arrived.wait_for(20s), std::future_status::ready) << next.load() << " arrived";
  EXPECT_FALSE(out_of_order.load());
  const std::chrono::duration<double> took = arrived.get() - start;
  std::cout << "rough measurement: " << kCount << " messages of " << kSize << " bytes in "
            << took.count() * 1000 << " ms, " << static_cast<long>(kCount / took.count())
            << " messages/s (one stream, loopback, one process)\n";
}

TEST_F(TransportDelivery, TwoStreamsInterleaveAndEachKeepsItsOrder) {
  TestNode a(test_options(1, ca_, "node-a"));
  TestNode b(test_options(2, ca_, "node-b"));
  connect_pair(a, b);
  constexpr std::uint64_t kEach = 1000;
  for (std::uint64_t i = 0; i < kEach; ++i) {
    ASSERT_TRUE(a.transport().send(2, 0, 10, numbered(i, 16)));
    ASSERT_TRUE(a.transport().send(2, 1, 20, numbered(i, 16)));
  }
  ASSERT_TRUE(b.wait([&](const Record& r) { return r.messages.size() == 2 * kEach; }));
  b.read([&](const Record& r) {
    std::uint64_t next[2] = {0, 0};
    for (const Received& m : r.messages) {
      ASSERT_TRUE(m.stream == 10 || m.stream == 20);
      const int index = m.stream == 10 ? 0 : 1;
      EXPECT_EQ(m.channel, index);
      EXPECT_EQ(number_of(m.bytes), next[index]++);
    }
  });
}

TEST_F(TransportDelivery, SmallMessagesOnAnotherStreamArriveBeforeALargeOneCompletes) {
  TestNode a(test_options(1, ca_, "node-a"));
  TestNode b(test_options(2, ca_, "node-b"));
  connect_pair(a, b);
  std::vector<std::uint8_t> large(32 * 1024 * 1024);
  for (std::size_t i = 0; i < large.size(); ++i) large[i] = static_cast<std::uint8_t>(i * 31 + 7);
  const std::vector<std::uint8_t> expected = large;
  ASSERT_TRUE(a.transport().send(2, 0, 1, std::move(large)));
  constexpr std::uint64_t kSmall = 20;
  for (std::uint64_t i = 0; i < kSmall; ++i)
    ASSERT_TRUE(a.transport().send(2, 0, 2, numbered(i, 32)));

  ASSERT_TRUE(b.wait([&](const Record& r) { return r.messages.size() == kSmall + 1; }, 20s));
  b.read([&](const Record& r) {
    EXPECT_EQ(r.messages.back().stream, 1u) << "the large message completed first";
    EXPECT_TRUE(r.messages.back().bytes == expected);
    for (std::uint64_t i = 0; i < kSmall; ++i) {
      EXPECT_EQ(r.messages[i].stream, 2u);
      EXPECT_EQ(number_of(r.messages[i].bytes), i);
    }
  });
}

TEST_F(TransportDelivery, SendingToANodeThatIsNoPeerFails) {
  TestNode a(test_options(1, ca_, "node-a"));
  auto sent = a.transport().send(5, 0, 1, bytes_of("hello"));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, Errc::kInvalidArgument);
}

TEST_F(TransportDelivery, AMessageOverTheLimitIsRefused) {
  auto options = test_options(1, ca_, "node-a");
  options.max_message = 1024 * 1024;
  TestNode a(std::move(options));
  ASSERT_TRUE(a.transport().add_peer(2, "127.0.0.1:1"));
  auto sent = a.transport().send(2, 0, 1, std::vector<std::uint8_t>(1024 * 1024 + 1));
  ASSERT_FALSE(sent);
  EXPECT_EQ(sent.error().code, Errc::kLimitReached);
  EXPECT_TRUE(a.transport().send(2, 0, 1, std::vector<std::uint8_t>(1024 * 1024)));
}

// An address nobody listens on: a socket's, bound and closed.
std::string closed_port_address() {
  UniqueFd fd(::socket(AF_INET, SOCK_STREAM, 0));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  EXPECT_EQ(::bind(fd.get(), reinterpret_cast<sockaddr*>(&address), length), 0);
  EXPECT_EQ(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&address), &length), 0);
  return "127.0.0.1:" + std::to_string(ntohs(address.sin_port));
}

TEST_F(TransportDelivery, WhenAPeersQueueIsFullSendFailsAndTheQueueDoesNotGrow) {
  auto options = test_options(1, ca_, "node-a");
  options.max_queued_bytes = 1024 * 1024;
  TestNode a(std::move(options));
  // A member that cannot be reached: what is sent to it waits.
  ASSERT_TRUE(a.transport().add_peer(2, closed_port_address()));
  ASSERT_TRUE(a.transport().send(2, 0, 1, std::vector<std::uint8_t>(600 * 1024)));
  auto full = a.transport().send(2, 0, 1, std::vector<std::uint8_t>(600 * 1024));
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, Errc::kLimitReached);
  EXPECT_TRUE(a.transport().send(2, 0, 1, std::vector<std::uint8_t>(100 * 1024)));
  EXPECT_FALSE(a.transport().connected(2));
  // The failed dials are reported, and redialed.
  EXPECT_TRUE(a.wait([](const Record& r) { return r.failures.size() >= 2; }));
}

TEST_F(TransportDelivery, SendAfterRemovePeerFailsAndTheConnectionCloses) {
  TestNode a(test_options(1, ca_, "node-a"));
  TestNode b(test_options(2, ca_, "node-b"));
  connect_pair(a, b);
  a.transport().remove_peer(2);
  EXPECT_FALSE(a.transport().send(2, 0, 1, bytes_of("late")));
  ASSERT_TRUE(a.wait([](const Record& r) { return !r.downs.empty(); }));
  ASSERT_TRUE(b.wait([](const Record& r) { return !r.downs.empty(); }));
  b.read([](const Record& r) {
    EXPECT_NE(r.downs[0].second.find("removed"), std::string::npos) << r.downs[0].second;
  });
}

}  // namespace
}  // namespace lunatic::cluster
