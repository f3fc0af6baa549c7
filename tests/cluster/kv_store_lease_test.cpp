// KvStore leases: grant, keepalive, revoke and expiry, on a clock the test moves.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "cluster/kv_store.hpp"

namespace lunatic::cluster {
namespace {

using namespace std::chrono_literals;

// A store whose clock moves only when the test says so.
struct ClockedStore {
  std::chrono::steady_clock::time_point now = std::chrono::steady_clock::time_point{} + 1h;
  KvStore store{KvStore::Options{[this] { return now; }, 10'000}};
};

PutRequest put(std::string key, std::int64_t lease) {
  PutRequest request;
  request.key = std::move(key);
  request.value = "v";
  request.lease = lease;
  return request;
}

std::int64_t count(KvStore& store) {
  RangeRequest all;
  all.range = KeyRange{std::string(1, '\0'), std::string(1, '\0')};
  all.count_only = true;
  return store.range(all)->count;
}

TEST(KvStoreLease, GrantPicksAPositiveIdAndRaisesShortTtlsToTheMinimum) {
  KvStore store;
  auto granted = store.lease_grant(1, 0);
  ASSERT_TRUE(granted) << granted.error().message;
  EXPECT_GT(granted->id, 0);
  EXPECT_EQ(granted->ttl, kMinLeaseTtl);
  EXPECT_EQ(granted->revision, 1) << "a grant changes no key";
  auto again = store.lease_grant(60, 0);
  ASSERT_TRUE(again);
  EXPECT_NE(again->id, granted->id);
  EXPECT_EQ(again->ttl, 60);
}

TEST(KvStoreLease, AChosenIdIsKeptAndCannotBeGrantedTwice) {
  KvStore store;
  auto chosen = store.lease_grant(10, 42);
  ASSERT_TRUE(chosen);
  EXPECT_EQ(chosen->id, 42);
  auto twice = store.lease_grant(10, 42);
  ASSERT_FALSE(twice);
  EXPECT_EQ(twice.error().message, kErrLeaseExists);
  EXPECT_EQ(grpc_code_of(twice.error().message), GrpcCode::kFailedPrecondition);
  auto huge = store.lease_grant(kMaxLeaseTtl + 1, 0);
  ASSERT_FALSE(huge);
  EXPECT_EQ(huge.error().message, kErrLeaseTtlTooLarge);
}

TEST(KvStoreLease, ExpiryDeletesTheLeasesKeysInOneRevisionWithDeleteEvents) {
  ClockedStore s;
  auto lease = s.store.lease_grant(10, 0);
  ASSERT_TRUE(lease);
  ASSERT_TRUE(s.store.put(put("node/b", lease->id)));  // 2
  ASSERT_TRUE(s.store.put(put("node/a", lease->id)));  // 3
  ASSERT_TRUE(s.store.put(put("other", 0)));           // 4
  std::vector<WatchBatch> seen;
  auto watch = s.store.watch(KeyRange{"node/", "node0"}, 0, false,
                             [&](WatchBatch&& batch) { seen.push_back(std::move(batch)); });

  s.now += 9s;
  EXPECT_EQ(s.store.expire_due_leases(), 0u);
  EXPECT_EQ(count(s.store), 3);
  s.now += 1s;
  EXPECT_EQ(s.store.expire_due_leases(), 1u);
  EXPECT_EQ(count(s.store), 1);
  EXPECT_EQ(s.store.revision(), 5) << "etcd deletes a lease's keys in one revision";

  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].revision, 5);
  ASSERT_EQ(seen[0].events.size(), 2u);
  EXPECT_EQ(seen[0].events[0].type, Event::Type::kDelete);
  EXPECT_EQ(seen[0].events[0].kv.key, "node/a") << "in key order";
  EXPECT_EQ(seen[0].events[0].kv.mod_revision, 5);
  EXPECT_EQ(seen[0].events[0].kv.version, 0) << "a delete event's kv has key and mod_revision";
  EXPECT_EQ(seen[0].events[1].kv.key, "node/b");

  EXPECT_EQ(s.store.lease_keepalive(lease->id).ttl, 0) << "the lease is gone";
  EXPECT_FALSE(s.store.put(put("node/c", lease->id)));
}

TEST(KvStoreLease, KeepaliveRestartsTheTtl) {
  ClockedStore s;
  auto lease = s.store.lease_grant(3, 0);
  ASSERT_TRUE(lease);
  ASSERT_TRUE(s.store.put(put("k", lease->id)));
  for (int i = 0; i < 5; ++i) {
    s.now += 2s;
    auto renewed = s.store.lease_keepalive(lease->id);
    EXPECT_EQ(renewed.ttl, 3);
    EXPECT_EQ(renewed.id, lease->id);
    EXPECT_EQ(s.store.expire_due_leases(), 0u);
  }
  s.now += 3s;
  EXPECT_EQ(s.store.expire_due_leases(), 1u);
  EXPECT_EQ(count(s.store), 0);
}

TEST(KvStoreLease, KeepaliveOfAnUnknownOrExpiredLeaseAnswersTtlZero) {
  ClockedStore s;
  EXPECT_EQ(s.store.lease_keepalive(777).ttl, 0);
  auto lease = s.store.lease_grant(5, 0);
  ASSERT_TRUE(lease);
  s.now += 5s;  // expired, not yet collected: too late to renew all the same
  EXPECT_EQ(s.store.lease_keepalive(lease->id).ttl, 0);
}

TEST(KvStoreLease, RevokeDeletesTheKeysAndAnUnknownLeaseIsNotFound) {
  KvStore store;
  auto lease = store.lease_grant(60, 0);
  ASSERT_TRUE(lease);
  ASSERT_TRUE(store.put(put("a", lease->id)));
  ASSERT_TRUE(store.put(put("b", lease->id)));
  auto revoked = store.lease_revoke(lease->id);
  ASSERT_TRUE(revoked);
  EXPECT_EQ(*revoked, 4);
  EXPECT_EQ(count(store), 0);
  auto again = store.lease_revoke(lease->id);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().message, kErrLeaseNotFound);

  auto empty = store.lease_grant(60, 0);
  ASSERT_TRUE(empty);
  auto no_keys = store.lease_revoke(empty->id);
  ASSERT_TRUE(no_keys);
  EXPECT_EQ(*no_keys, 4) << "revoking a lease without keys takes no revision";
}

TEST(KvStoreLease, AKeyPutAgainWithoutTheLeaseOutlivesIt) {
  ClockedStore s;
  auto lease = s.store.lease_grant(5, 0);
  ASSERT_TRUE(lease);
  ASSERT_TRUE(s.store.put(put("k", lease->id)));
  ASSERT_TRUE(s.store.put(put("k", 0)));
  s.now += 6s;
  EXPECT_EQ(s.store.expire_due_leases(), 1u);
  EXPECT_EQ(count(s.store), 1);
  EXPECT_EQ(s.store.revision(), 3) << "nothing was left to delete";
}

TEST(KvStoreLease, TimeToLiveTellsWhatIsLeftAndTheKeys) {
  ClockedStore s;
  auto lease = s.store.lease_grant(10, 0);
  ASSERT_TRUE(lease);
  ASSERT_TRUE(s.store.put(put("x", lease->id)));
  s.now += 2500ms;
  auto left = s.store.lease_time_to_live(lease->id, true);
  EXPECT_EQ(left.ttl, 7) << "7.5 s truncated";
  EXPECT_EQ(left.granted_ttl, 10);
  ASSERT_EQ(left.keys.size(), 1u);
  EXPECT_EQ(left.keys[0], "x");
  auto unknown = s.store.lease_time_to_live(1, false);
  EXPECT_EQ(unknown.ttl, -1) << "etcd answers an unknown lease so, not with an error";
  EXPECT_EQ(unknown.id, 1);
}

TEST(KvStoreLease, NextExpiryIsTheSoonestLease) {
  ClockedStore s;
  EXPECT_FALSE(s.store.next_expiry());
  ASSERT_TRUE(s.store.lease_grant(30, 0));
  ASSERT_TRUE(s.store.lease_grant(5, 0));
  ASSERT_TRUE(s.store.next_expiry());
  EXPECT_EQ(*s.store.next_expiry(), s.now + 5s);
}

}  // namespace
}  // namespace lunatic::cluster
