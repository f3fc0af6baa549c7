// StoreClient against a real etcd 3.4: leases, transactions, the counter, the watch stream, and
// what a caller sees when the store is not there.
#include "cluster/store_client.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <csignal>
#include <set>
#include <thread>

#include "etcd_store_test.hpp"
#include "eventually.hpp"
#include "shared/etcd_server.hpp"

namespace lunatic::cluster {
namespace {

using namespace std::chrono_literals;
using testing::EtcdServer;
using testing::eventually;

class StoreClientTest : public testing::EtcdStoreTest {
 protected:
  bool exists(const std::string& key) {
    auto got = store_->get(key);
    EXPECT_TRUE(got) << got.error().message;
    return got && got->has_value();
  }
};

TEST(StoreEndpoint, AcceptsHttpEtcdAndBareAddressesAndRefusesTheRest) {
  for (const char* url : {"http://127.0.0.1:2379", "etcd://127.0.0.1:2379", "127.0.0.1:2379/"}) {
    auto parsed = StoreEndpoint::parse(url);
    ASSERT_TRUE(parsed) << url << ": " << parsed.error().message;
    EXPECT_EQ(parsed->host, "127.0.0.1");
    EXPECT_EQ(parsed->port, 2379);
    EXPECT_EQ(parsed->text(), "127.0.0.1:2379");
  }
  auto v6 = StoreEndpoint::parse("http://[::1]:2379");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->text(), "[::1]:2379");
  for (const char* url : {"", "127.0.0.1", "https://h:1", "h:0", "h:65536", ":2379", "h:12x"}) {
    auto parsed = StoreEndpoint::parse(url);
    ASSERT_FALSE(parsed) << url;
    EXPECT_EQ(parsed.error().code, Errc::kInvalidArgument);
  }
}

TEST(StorePrefixRangeEnd, IncrementsTheLastByteBelowFF) {
  EXPECT_EQ(prefix_range_end("foo"), "fop");
  EXPECT_EQ(prefix_range_end(std::string("a\xff", 2)), "b");
  EXPECT_EQ(prefix_range_end(std::string("\xff\xff", 2)), std::string(1, '\0'));
}

TEST_F(StoreClientTest, AKeyOnAKeptAliveLeaseStaysAndGoesWhenTheLeaseExpires) {
  auto lease = store_->grant_lease(2s);
  ASSERT_TRUE(lease) << lease.error().message;
  ASSERT_TRUE(store_->put("lease/a", "alive", *lease));
  for (int i = 0; i < 4; ++i) {  // 3 s in all, past the TTL
    std::this_thread::sleep_for(750ms);
    auto remaining = store_->keep_alive(*lease);
    ASSERT_TRUE(remaining) << remaining.error().message;
    EXPECT_GT(*remaining, 0);
  }
  auto got = store_->get("lease/a");
  ASSERT_TRUE(got && got->has_value());
  EXPECT_EQ((*got)->lease, *lease);
  // Unattended, etcd removes the key within the TTL plus its 0.5 s expiry sweep.
  const auto left_alone = std::chrono::steady_clock::now();
  EXPECT_TRUE(eventually(5s, [&] { return !exists("lease/a"); }));
  EXPECT_GE(std::chrono::steady_clock::now() - left_alone, 1500ms);
  auto remaining = store_->keep_alive(*lease);
  ASSERT_TRUE(remaining) << remaining.error().message;
  EXPECT_EQ(*remaining, 0) << "an expired lease keeps alive to TTL 0, not to an error";
}

TEST_F(StoreClientTest, RevokingALeaseDeletesItsKeysAtOnceAndRevokingAgainIsFine) {
  auto lease = store_->grant_lease(30s);
  ASSERT_TRUE(lease) << lease.error().message;
  ASSERT_TRUE(store_->put("revoke/a", "1", *lease));
  ASSERT_TRUE(store_->put("revoke/b", "2", *lease));
  ASSERT_TRUE(store_->revoke(*lease));
  EXPECT_FALSE(exists("revoke/a"));
  EXPECT_FALSE(exists("revoke/b"));
  auto again = store_->revoke(*lease);
  EXPECT_TRUE(again) << again.error().message;
  auto remaining = store_->keep_alive(*lease);
  ASSERT_TRUE(remaining);
  EXPECT_EQ(*remaining, 0);
}

TEST_F(StoreClientTest, AnErrorFromTheStoreCarriesItsStatusAndMessage) {
  auto put = store_->put("orphan", "x", 12345);  // a lease that was never granted
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error().code, Errc::kIo);
  const std::string& message = put.error().message;
  EXPECT_NE(message.find(etcd_->url().substr(7) + " (/v3/kv/put): HTTP 404"), std::string::npos)
      << message;
  EXPECT_NE(message.find("requested lease not found"), std::string::npos) << message;
}

TEST_F(StoreClientTest, PutGetRangeAndDeleteKeepArbitraryBytesAndRevisions) {
  const std::string binary("\0\xff\x01 x/\n", 7);
  auto first = store_->put("kv/a", binary);
  ASSERT_TRUE(first) << first.error().message;
  auto second = store_->put("kv/b", "");
  ASSERT_TRUE(second);
  EXPECT_GT(*second, *first);
  ASSERT_TRUE(store_->put("kv/a", "again"));
  ASSERT_TRUE(store_->put("kw", "outside the prefix"));

  auto got = store_->get("kv/a");
  ASSERT_TRUE(got) << got.error().message;
  ASSERT_TRUE(got->has_value());
  EXPECT_EQ((*got)->value, "again");
  EXPECT_EQ((*got)->create_revision, *first);
  EXPECT_GT((*got)->mod_revision, *second);
  EXPECT_EQ((*got)->version, 2);
  EXPECT_EQ((*got)->lease, 0);

  ASSERT_TRUE(store_->put("kv/a", binary));
  auto range = store_->range_prefix("kv/");
  ASSERT_TRUE(range) << range.error().message;
  ASSERT_EQ(range->kvs.size(), 2u);
  EXPECT_EQ(range->kvs[0].key, "kv/a");
  EXPECT_EQ(range->kvs[0].value, binary);
  EXPECT_EQ(range->kvs[1].key, "kv/b");
  EXPECT_EQ(range->kvs[1].value, "");  // etcd omits an empty value
  EXPECT_EQ(range->revision, range->kvs[0].mod_revision);

  auto deleted = store_->delete_key("kv/a");
  ASSERT_TRUE(deleted && *deleted);
  auto deleted_again = store_->delete_key("kv/a");
  ASSERT_TRUE(deleted_again);
  EXPECT_FALSE(*deleted_again);
  auto gone = store_->get("kv/a");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(gone->has_value());
  auto empty = store_->range_prefix("nothing/");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->kvs.empty());
}

TEST_F(StoreClientTest, CreateIfAbsentRacedFromTwoThreadsHasExactlyOneWinner) {
  for (int round = 0; round < 10; ++round) {
    const std::string key = "race/" + std::to_string(round);
    std::optional<Expected<CreateResult>> results[2];
    std::thread racers[2];
    for (int i = 0; i < 2; ++i) {
      racers[i] = std::thread(
          [&, i] { results[i] = store_->create_if_absent(key, "t" + std::to_string(i)); });
    }
    for (auto& racer : racers) racer.join();
    ASSERT_TRUE(*results[0]) << results[0]->error().message;
    ASSERT_TRUE(*results[1]) << results[1]->error().message;
    const CreateResult& a = results[0]->value();
    const CreateResult& b = results[1]->value();
    ASSERT_NE(a.created, b.created) << "round " << round;
    const CreateResult& winner = a.created ? a : b;
    const CreateResult& loser = a.created ? b : a;
    EXPECT_EQ(loser.current.value, winner.current.value);
    EXPECT_EQ(loser.current.create_revision, winner.current.create_revision);
    auto stored = store_->get(key);
    ASSERT_TRUE(stored && stored->has_value());
    EXPECT_EQ((*stored)->value, winner.current.value);
  }
}

TEST_F(StoreClientTest, ACreatedKeyCanSitOnALease) {
  auto lease = store_->grant_lease(30s);
  ASSERT_TRUE(lease);
  auto created = store_->create_if_absent("leased/name", "7", *lease);
  ASSERT_TRUE(created && created->created);
  ASSERT_TRUE(store_->revoke(*lease));
  EXPECT_FALSE(exists("leased/name"));
}

TEST_F(StoreClientTest, DeleteIfValueDeletesOnlyWhatStillHoldsTheValue) {
  ASSERT_TRUE(store_->put("owned/name", "17"));
  auto other = store_->delete_if_value("owned/name", "18");
  ASSERT_TRUE(other) << other.error().message;
  EXPECT_FALSE(*other);
  EXPECT_TRUE(exists("owned/name"));
  auto own = store_->delete_if_value("owned/name", "17");
  ASSERT_TRUE(own) << own.error().message;
  EXPECT_TRUE(*own);
  EXPECT_FALSE(exists("owned/name"));
  auto gone = store_->delete_if_value("owned/name", "17");
  ASSERT_TRUE(gone);
  EXPECT_FALSE(*gone);
}

TEST_F(StoreClientTest, ACounterSharedByTwoThreadsNeverGivesAValueTwice) {
  constexpr int kEach = 25;
  std::vector<std::uint64_t> values[2];
  std::string errors[2];
  std::thread counters[2];
  for (int i = 0; i < 2; ++i) {
    counters[i] = std::thread([&, i] {
      for (int n = 0; n < kEach; ++n) {
        auto next = store_->allocate_counter("counter/ids");
        if (!next) {
          errors[i] = next.error().message;
          return;
        }
        values[i].push_back(*next);
      }
    });
  }
  for (auto& counter : counters) counter.join();
  ASSERT_EQ(errors[0], "");
  ASSERT_EQ(errors[1], "");
  std::set<std::uint64_t> all(values[0].begin(), values[0].end());
  all.insert(values[1].begin(), values[1].end());
  ASSERT_EQ(all.size(), 2u * kEach);
  EXPECT_EQ(*all.begin(), 1u);
  EXPECT_EQ(*all.rbegin(), 2u * kEach);
}

TEST_F(StoreClientTest, ACounterHoldingSomethingElseIsAnError) {
  ASSERT_TRUE(store_->put("counter/bad", "seven"));
  auto next = store_->allocate_counter("counter/bad");
  ASSERT_FALSE(next);
  EXPECT_NE(next.error().message.find("not a number"), std::string::npos) << next.error().message;
}

TEST_F(StoreClientTest, AWatchSeesPutsAndDeletesUnderItsPrefixInOrder) {
  auto before = store_->range_prefix("watched/");
  ASSERT_TRUE(before);
  std::mutex mutex;
  std::vector<WatchEvent> seen;
  WatchStop stop;
  Status ended = Ok{};
  std::thread watcher([&] {
    ended = store_->watch_prefix(
        "watched/", before->revision + 1,
        [&](const std::vector<WatchEvent>& events) {
          std::lock_guard lock(mutex);
          seen.insert(seen.end(), events.begin(), events.end());
        },
        stop);
  });
  ASSERT_TRUE(store_->put("watched/a", "1"));
  ASSERT_TRUE(store_->put("elsewhere", "x"));
  ASSERT_TRUE(store_->put("watched/b", "2"));
  ASSERT_TRUE(store_->delete_key("watched/a"));
  ASSERT_TRUE(store_->put("watched/b", "3"));
  const bool all_seen = eventually(3s, [&] {
    std::lock_guard lock(mutex);
    return seen.size() >= 4;
  });
  const auto stopping = std::chrono::steady_clock::now();
  stop.request_stop();
  watcher.join();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 1s);
  EXPECT_TRUE(ended) << ended.error().message;
  ASSERT_TRUE(all_seen);
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].type, WatchEvent::Type::kPut);
  EXPECT_EQ(seen[0].kv.key, "watched/a");
  EXPECT_EQ(seen[0].kv.value, "1");
  EXPECT_EQ(seen[1].kv.key, "watched/b");
  EXPECT_EQ(seen[2].type, WatchEvent::Type::kDelete);
  EXPECT_EQ(seen[2].kv.key, "watched/a");
  EXPECT_EQ(seen[3].type, WatchEvent::Type::kPut);
  EXPECT_EQ(seen[3].kv.value, "3");
  for (std::size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GT(seen[i].kv.mod_revision, seen[i - 1].kv.mod_revision);
  }
}

TEST_F(StoreClientTest, AWatchFromAnOldRevisionReplaysWhatHappenedSince) {
  auto first = store_->put("replay/a", "1");
  ASSERT_TRUE(first);
  ASSERT_TRUE(store_->delete_key("replay/a"));
  std::vector<WatchEvent> seen;
  WatchStop stop;
  std::thread stopper;
  auto ended = store_->watch_prefix(
      "replay/", *first,
      [&](const std::vector<WatchEvent>& events) {
        seen.insert(seen.end(), events.begin(), events.end());
        if (seen.size() >= 2 && !stopper.joinable())
          stopper = std::thread([&] { stop.request_stop(); });
      },
      stop);
  if (stopper.joinable()) stopper.join();
  EXPECT_TRUE(ended) << ended.error().message;
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[1].type, WatchEvent::Type::kDelete);
}

TEST_F(StoreClientTest, AnIdleWatchStopsPromptlyAndAStoppedOneDoesNotStartAgain) {
  WatchStop stop;
  std::thread watcher([&] {
    auto ended = store_->watch_prefix(
        "idle/", 0, [](const std::vector<WatchEvent>&) {}, stop);
    EXPECT_TRUE(ended) << ended.error().message;
  });
  std::this_thread::sleep_for(300ms);
  const auto stopping = std::chrono::steady_clock::now();
  stop.request_stop();
  watcher.join();
  EXPECT_LT(std::chrono::steady_clock::now() - stopping, 1s);
  const auto again = std::chrono::steady_clock::now();
  EXPECT_TRUE(store_->watch_prefix(
      "idle/", 0, [](const std::vector<WatchEvent>&) {}, stop));
  EXPECT_LT(std::chrono::steady_clock::now() - again, 100ms);
}

// A stop shuts the watch's socket down, possibly before httplib has written the request; that
// write must fail as EPIPE, not raise a SIGPIPE that ends the process (a library cannot count
// on the program ignoring it). Stops land at varied moments from before the connection to the
// blocked read.
TEST_F(StoreClientTest, StoppingAWatchAtAnyMomentNeverRaisesSigpipe) {
  std::signal(SIGPIPE, SIG_DFL);
  for (int round = 0; round < 300; ++round) {
    WatchStop stop;
    std::thread watcher([&] {
      auto ended = store_->watch_prefix(
          "race/", 0, [](const std::vector<WatchEvent>&) {}, stop);
      EXPECT_TRUE(ended) << ended.error().message;
    });
    std::this_thread::sleep_for(std::chrono::microseconds(round * 3 % 600));
    stop.request_stop();
    watcher.join();
  }
}

TEST_F(StoreClientTest, AWatchEndsWithAnErrorWhenTheStoreDies) {
  WatchStop stop;
  std::optional<Status> ended;
  std::atomic<bool> done{false};
  std::thread watcher([&] {
    ended = store_->watch_prefix(
        "dies/", 0, [](const std::vector<WatchEvent>&) {}, stop);
    done = true;
  });
  std::this_thread::sleep_for(300ms);
  etcd_->kill();
  const bool returned = eventually(3s, [&] { return done.load(); });
  stop.request_stop();
  watcher.join();
  ASSERT_TRUE(returned);
  ASSERT_FALSE(*ended);
  EXPECT_NE(ended->error().message.find(etcd_->url().substr(7)), std::string::npos)
      << ended->error().message;
}

TEST_F(StoreClientTest, AWatchFromACompactedRevisionIsAnError) {
  auto first = store_->put("compact/a", "1");
  ASSERT_TRUE(first);
  auto last = store_->put("compact/a", "2");
  ASSERT_TRUE(last);
  ASSERT_TRUE(store_->compact(*last));
  WatchStop stop;
  auto ended = store_->watch_prefix(
      "compact/", *first, [](const std::vector<WatchEvent>&) {}, stop);
  ASSERT_FALSE(ended);
  EXPECT_NE(ended.error().message.find("compacted"), std::string::npos) << ended.error().message;
}

TEST(StoreClientUnreachable, AClosedPortFailsQuicklyWithTheAddressInTheError) {
  const std::uint16_t port = testing::free_loopback_port();
  auto store = StoreClient::create("127.0.0.1:" + std::to_string(port));
  ASSERT_TRUE(store);
  const auto start = std::chrono::steady_clock::now();
  auto lease = store->grant_lease(5s);
  auto got = store->get("x");
  auto counter = store->allocate_counter("c");
  WatchStop stop;
  auto watched = store->watch_prefix(
      "w/", 0, [](const std::vector<WatchEvent>&) {}, stop);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  const std::string where = "127.0.0.1:" + std::to_string(port);
  ASSERT_FALSE(lease);
  ASSERT_FALSE(got);
  ASSERT_FALSE(counter);
  ASSERT_FALSE(watched);
  for (const Error* error : {&lease.error(), &got.error(), &counter.error(), &watched.error()}) {
    EXPECT_EQ(error->code, Errc::kIo);
    EXPECT_NE(error->message.find(where), std::string::npos) << error->message;
    EXPECT_NE(error->message.find("cannot connect"), std::string::npos) << error->message;
  }
}

}  // namespace
}  // namespace lunatic::cluster
