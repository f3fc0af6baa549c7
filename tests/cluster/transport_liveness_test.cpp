// Ticks and failure detection between two NodeTransports: an idle connection stays up, a peer
// that stops responding is declared down within tick_timeout, and members find each other again.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "cluster/transport.hpp"
#include "eventually.hpp"
#include "shared/temp_dir.hpp"
#include "transport_test_node.hpp"

namespace lunatic::cluster {
namespace {

using namespace testing;

constexpr auto kTickInterval = 100ms;
constexpr auto kTickTimeout = 500ms;

class TransportLiveness : public ::testing::Test {
 protected:
  NodeTransportOptions options(std::uint64_t id, const std::string& name) {
    auto options = test_options(id, ca_, name);
    options.tick_interval = kTickInterval;
    options.tick_timeout = kTickTimeout;
    return options;
  }
  lunatic::testing::TempDir dir_{"transport-liveness"};
  TestCertificates ca_{dir_, "cluster-ca"};
};

TEST_F(TransportLiveness, TicksKeepAnIdleConnectionUpPastTheTickTimeout) {
  TestNode a(options(1, "node-a"));
  TestNode b(options(2, "node-b"));
  connect_pair(a, b);
  std::this_thread::sleep_for(3 * kTickTimeout);
  EXPECT_TRUE(a.transport().connected(2));
  EXPECT_TRUE(b.transport().connected(1));
  EXPECT_TRUE(a.read([](const Record& r) { return r.downs.empty() && r.ups.size() == 1; }));
  EXPECT_TRUE(b.read([](const Record& r) { return r.downs.empty() && r.ups.size() == 1; }));
}

TEST_F(TransportLiveness, APeerThatStopsRespondingIsDeclaredDownWithinTheTickTimeout) {
  TestNode a(options(1, "node-a"));
  TestNode b(options(2, "node-b"));
  connect_pair(a, b);
  const auto paused = std::chrono::steady_clock::now();
  b.transport().pause_for_testing(true);  // hung, its socket open
  ASSERT_TRUE(a.wait([](const Record& r) { return !r.downs.empty(); }, kTickTimeout + 3s));
  const auto took = std::chrono::steady_clock::now() - paused;
  // Its last tick came at most one interval (and a housekeeping period) before the pause.
  EXPECT_GE(took, kTickTimeout - kTickInterval - 50ms);
  a.read([](const Record& r) {
    EXPECT_EQ(r.downs[0].first, 2u);
    EXPECT_NE(r.downs[0].second.find("nothing received"), std::string::npos) << r.downs[0].second;
  });
  EXPECT_FALSE(a.transport().connected(2));

  // Back from the hang, b finds its connection gone; both are members, so they connect again.
  b.transport().pause_for_testing(false);
  ASSERT_TRUE(a.wait([](const Record& r) { return r.ups.size() == 2; }));
  ASSERT_TRUE(b.wait([](const Record& r) { return r.ups.size() == 2; }));
  ASSERT_TRUE(a.transport().send(2, 0, 1, bytes_of("welcome back")));
  EXPECT_TRUE(b.wait([](const Record& r) { return r.messages.size() == 1; }));
}

// The round trip per peer, for metrics: each side pings every ping_interval; a hung peer
// answers none, and its count stands still.
TEST_F(TransportLiveness, PingsMeasureEachPeersRoundTripAndAHungPeerAnswersNone) {
  auto pinging = [&](std::uint64_t id, const std::string& name) {
    auto own = options(id, name);
    own.ping_interval = 50ms;
    return own;
  };
  TestNode a(pinging(1, "node-a"));
  TestNode b(pinging(2, "node-b"));
  connect_pair(a, b);
  auto to_b = [&] {
    for (const PeerTraffic& peer : a.transport().traffic()) {
      if (peer.peer == 2) return peer;
    }
    return PeerTraffic{};
  };
  ASSERT_TRUE(eventually(3s, [&] { return to_b().round_trips >= 3; }));
  const PeerTraffic measured = to_b();
  EXPECT_GT(measured.last_round_trip_ns, 0u);
  EXPECT_LT(measured.last_round_trip_ns, 1'000'000'000u) << "a loopback round trip over 1 s";
  EXPECT_GE(measured.round_trip_ns_sum, measured.last_round_trip_ns);
  EXPECT_LE(measured.round_trip_ns_sum, measured.round_trips * 1'000'000'000u);

  b.transport().pause_for_testing(true);
  std::this_thread::sleep_for(100ms);  // a pong already on its way may still land
  const std::uint64_t before = to_b().round_trips;
  std::this_thread::sleep_for(300ms);  // six pings unanswered
  EXPECT_EQ(to_b().round_trips, before);
  b.transport().pause_for_testing(false);
}

TEST_F(TransportLiveness, WhenBothDialAtOnceOneConnectionStays) {
  for (int round = 0; round < 5; ++round) {
    TestNode a(options(1, "node-a"));
    TestNode b(options(2, "node-b"));
    connect_pair(a, b);
    std::this_thread::sleep_for(200ms);  // a second connection would have come up by now
    EXPECT_EQ(a.read([](const Record& r) { return r.ups.size(); }), 1u);
    EXPECT_EQ(b.read([](const Record& r) { return r.ups.size(); }), 1u);
    EXPECT_TRUE(a.read([](const Record& r) { return r.downs.empty(); }));
    EXPECT_TRUE(b.read([](const Record& r) { return r.downs.empty(); }));
  }
}

TEST_F(TransportLiveness, AStoppedPeerIsDownAndARestartedOneIsReachedAtItsNewAddress) {
  TestNode a(options(1, "node-a"));
  auto b = std::make_unique<TestNode>(options(2, "node-b"));
  connect_pair(a, *b);
  b.reset();  // stop: it says goodbye
  ASSERT_TRUE(a.wait([](const Record& r) { return !r.downs.empty(); }));
  a.read([](const Record& r) {
    EXPECT_NE(r.downs[0].second.find("goodbye"), std::string::npos) << r.downs[0].second;
  });

  auto restarted = options(2, "node-b");
  restarted.incarnation = 1;
  TestNode b2(std::move(restarted));
  ASSERT_TRUE(a.transport().add_peer(2, b2.address()));  // membership's new record
  ASSERT_TRUE(b2.transport().add_peer(1, a.address()));
  ASSERT_TRUE(a.wait([](const Record& r) { return r.ups.size() == 2; }));
  ASSERT_TRUE(a.transport().send(2, 0, 1, bytes_of("hello again")));
  EXPECT_TRUE(b2.wait([](const Record& r) { return r.messages.size() == 1; }));
}

TEST_F(TransportLiveness, ANewIncarnationEndsTheOldConnectionsAndAnOverOneIsRefused) {
  std::atomic<std::uint64_t> over{0};  // a refuses node 2's incarnations up to this one
  TestNode a(options(1, "node-a"),
             [&](std::uint64_t peer, std::uint64_t incarnation) -> std::optional<std::string> {
               if (peer == 2 && incarnation <= over.load()) return "incarnation over";
               return std::nullopt;
             });
  auto first_life = options(2, "node-b");
  first_life.incarnation = 1;
  TestNode b(std::move(first_life));
  connect_pair(a, b);
  ASSERT_TRUE(a.transport().send(2, 0, 1, bytes_of("first life")));
  ASSERT_TRUE(b.wait([](const Record& r) { return r.messages.size() == 1; }));

  // The membership saw b's first life end; b learns it and comes back as its second.
  over = 1;
  b.transport().set_incarnation(2);
  ASSERT_TRUE(b.wait([](const Record& r) { return !r.downs.empty() && r.ups.size() == 2; }));
  ASSERT_TRUE(a.wait([](const Record& r) { return !r.downs.empty() && r.ups.size() == 2; }));
  b.read([](const Record& r) {
    EXPECT_NE(r.downs[0].second.find("new incarnation"), std::string::npos) << r.downs[0].second;
  });
  ASSERT_TRUE(b.transport().send(1, 0, 1, bytes_of("second life")));
  ASSERT_TRUE(a.wait([](const Record& r) { return r.messages.size() == 1; }));

  // A node still in the first life (as b would be, frozen before it learnt) is refused.
  auto stale = options(2, "node-b");
  stale.incarnation = 1;
  TestNode old(std::move(stale));
  ASSERT_TRUE(old.transport().add_peer(1, a.address()));
  ASSERT_TRUE(old.wait([](const Record& r) {
    return std::any_of(r.failures.begin(), r.failures.end(), [](const std::string& failure) {
      return failure.find("incarnation over") != std::string::npos;
    });
  }));
  EXPECT_TRUE(a.transport().connected(2));
  EXPECT_EQ(a.read([](const Record& r) { return r.downs.size(); }), 1u);
  EXPECT_TRUE(old.read([](const Record& r) { return r.ups.empty(); }));
}

}  // namespace
}  // namespace lunatic::cluster
