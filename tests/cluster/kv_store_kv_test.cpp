// KvStore: revisions, ranges, puts, deletes and transactions, against etcd 3.4's semantics.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "cluster/kv_store.hpp"

namespace lunatic::cluster {
namespace {

const std::string kAll(1, '\0');  // range_end "\0": every key from `key` on

PutRequest put(std::string key, std::string value, std::int64_t lease = 0) {
  PutRequest request;
  request.key = std::move(key);
  request.value = std::move(value);
  request.lease = lease;
  return request;
}

RangeRequest range(std::string key, std::string end = {}) {
  RangeRequest request;
  request.range = KeyRange{std::move(key), std::move(end)};
  return request;
}

Compare created_at(std::string key, std::int64_t revision) {
  Compare compare;
  compare.target = Compare::Target::kCreate;
  compare.result = Compare::Result::kEqual;
  compare.range.key = std::move(key);
  compare.number = revision;
  return compare;
}

// etcd's create-if-absent: put when create_revision == 0, else read what is there.
TxnRequest create_if_absent(const std::string& key, const std::string& value) {
  TxnRequest txn;
  txn.compare.push_back(created_at(key, 0));
  txn.success.emplace_back(put(key, value));
  txn.failure.emplace_back(range(key));
  return txn;
}

TEST(KvStoreKv, AFreshStoreIsAtRevisionOneAndEmpty) {
  KvStore store;
  EXPECT_EQ(store.revision(), 1);
  auto all = store.range(range(std::string(1, '\0'), kAll));
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(all->revision, 1);
  EXPECT_EQ(all->count, 0);
  EXPECT_TRUE(all->kvs.empty());
}

TEST(KvStoreKv, EachPutTakesOneRevisionAndCountsTheKeysVersion) {
  KvStore store;
  auto first = store.put(put("k", "v1"));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_EQ(first->revision, 2);
  auto second = store.put(put("k", "v2"));
  ASSERT_TRUE(second);
  EXPECT_EQ(second->revision, 3);
  EXPECT_FALSE(second->prev_kv) << "prev_kv only when asked";

  auto got = store.range(range("k"));
  ASSERT_TRUE(got);
  ASSERT_EQ(got->kvs.size(), 1u);
  const StoredKey& kv = got->kvs[0];
  EXPECT_EQ(kv.key, "k");
  EXPECT_EQ(kv.value, "v2");
  EXPECT_EQ(kv.create_revision, 2);
  EXPECT_EQ(kv.mod_revision, 3);
  EXPECT_EQ(kv.version, 2);
  EXPECT_EQ(kv.lease, 0);
  EXPECT_EQ(got->revision, 3);
}

TEST(KvStoreKv, PutWithPrevKvReturnsWhatItReplaced) {
  KvStore store;
  ASSERT_TRUE(store.put(put("k", "old")));
  PutRequest request = put("k", "new");
  request.prev_kv = true;
  auto done = store.put(request);
  ASSERT_TRUE(done);
  ASSERT_TRUE(done->prev_kv);
  EXPECT_EQ(done->prev_kv->value, "old");
  EXPECT_EQ(done->prev_kv->version, 1);
}

TEST(KvStoreKv, AKeyThatWasDeletedStartsOverAtVersionOne) {
  KvStore store;
  ASSERT_TRUE(store.put(put("k", "a")));                                          // 2
  ASSERT_TRUE(store.delete_range(DeleteRangeRequest{KeyRange{"k", {}}, false}));  // 3
  ASSERT_TRUE(store.put(put("k", "b")));                                          // 4
  auto got = store.range(range("k"));
  ASSERT_TRUE(got);
  ASSERT_EQ(got->kvs.size(), 1u);
  EXPECT_EQ(got->kvs[0].create_revision, 4);
  EXPECT_EQ(got->kvs[0].version, 1);
}

TEST(KvStoreKv, DeletingNothingLeavesTheRevisionAlone) {
  KvStore store;
  ASSERT_TRUE(store.put(put("a", "1")));
  auto none = store.delete_range(DeleteRangeRequest{KeyRange{"missing", {}}, false});
  ASSERT_TRUE(none);
  EXPECT_EQ(none->deleted, 0);
  EXPECT_EQ(none->revision, 2);
  EXPECT_EQ(store.revision(), 2);
}

TEST(KvStoreKv, ADeleteOfARangeIsOneRevisionAndCanReturnWhatItDeleted) {
  KvStore store;
  for (const char* key : {"p/1", "p/2", "q"}) ASSERT_TRUE(store.put(put(key, "x")));
  DeleteRangeRequest request{KeyRange{"p/", "p0"}, true};
  auto done = store.delete_range(request);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->deleted, 2);
  EXPECT_EQ(done->revision, 5);
  ASSERT_EQ(done->prev_kvs.size(), 2u);
  EXPECT_EQ(done->prev_kvs[0].key, "p/1");
  EXPECT_EQ(done->prev_kvs[1].key, "p/2");
  EXPECT_EQ(store.revision(), 5);
  auto left = store.range(range(std::string(1, '\0'), kAll));
  ASSERT_TRUE(left);
  ASSERT_EQ(left->count, 1);
  EXPECT_EQ(left->kvs[0].key, "q");
}

TEST(KvStoreKv, RangesFollowEtcdsRangeEndRules) {
  KvStore store;
  for (const char* key : {"a", "b/1", "b/2", "b/3", "c"}) ASSERT_TRUE(store.put(put(key, "v")));

  auto prefix = store.range(range("b/", "b0"));  // "b/" + 1 = "b0": the prefix b/
  ASSERT_TRUE(prefix);
  EXPECT_EQ(prefix->count, 3);
  ASSERT_EQ(prefix->kvs.size(), 3u);
  EXPECT_EQ(prefix->kvs.front().key, "b/1");
  EXPECT_EQ(prefix->kvs.back().key, "b/3");

  auto from_b = store.range(range("b/2", kAll));
  ASSERT_TRUE(from_b);
  EXPECT_EQ(from_b->count, 3);  // b/2, b/3, c

  RangeRequest limited = range("a", kAll);
  limited.limit = 2;
  auto page = store.range(limited);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->kvs.size(), 2u);
  EXPECT_TRUE(page->more);
  EXPECT_EQ(page->count, 5) << "count is the whole range's, not the page's";

  RangeRequest keys = range("a");
  keys.keys_only = true;
  auto key_only = store.range(keys);
  ASSERT_TRUE(key_only);
  ASSERT_EQ(key_only->kvs.size(), 1u);
  EXPECT_TRUE(key_only->kvs[0].value.empty());
  EXPECT_EQ(key_only->kvs[0].version, 1);

  RangeRequest counting = range("a", kAll);
  counting.count_only = true;
  auto counted = store.range(counting);
  ASSERT_TRUE(counted);
  EXPECT_TRUE(counted->kvs.empty());
  EXPECT_EQ(counted->count, 5);

  auto backwards = store.range(range("c", "a"));
  ASSERT_TRUE(backwards);
  EXPECT_EQ(backwards->count, 0);
}

TEST(KvStoreKv, KeysCompareAsUnsignedBytes) {
  KvStore store;
  ASSERT_TRUE(store.put(put(std::string("k\x7f", 2), "low")));
  ASSERT_TRUE(store.put(put(std::string("k\xff", 2), "high")));
  auto high = store.range(range(std::string("k\x80", 2), kAll));
  ASSERT_TRUE(high);
  ASSERT_EQ(high->count, 1);
  EXPECT_EQ(high->kvs[0].value, "high");
}

TEST(KvStoreKv, AnEmptyKeyIsRefusedWithEtcdsMessage) {
  KvStore store;
  auto put_empty = store.put(put("", "v"));
  ASSERT_FALSE(put_empty);
  EXPECT_EQ(put_empty.error().message, kErrEmptyKey);
  auto range_empty = store.range(range(""));
  ASSERT_FALSE(range_empty);
  EXPECT_EQ(range_empty.error().message, kErrEmptyKey);
  EXPECT_EQ(store.revision(), 1);
}

TEST(KvStoreKv, APutOnAnUnknownLeaseIsRefusedAndChangesNothing) {
  KvStore store;
  auto refused = store.put(put("k", "v", 12345));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, kErrLeaseNotFound);
  EXPECT_EQ(grpc_code_of(refused.error().message), GrpcCode::kNotFound);
  EXPECT_EQ(store.revision(), 1);
  auto got = store.range(range("k"));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->count, 0);
}

TEST(KvStoreKv, IgnoreValueKeepsTheValueAndNeedsAnExistingKey) {
  KvStore store;
  PutRequest keep;
  keep.key = "k";
  keep.ignore_value = true;
  auto missing = store.put(keep);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().message, kErrKeyNotFound);
  ASSERT_TRUE(store.put(put("k", "kept")));
  ASSERT_TRUE(store.put(keep));
  auto got = store.range(range("k"));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->kvs[0].value, "kept");
  EXPECT_EQ(got->kvs[0].version, 2);
}

TEST(KvStoreKv, ReadsAtOtherRevisionsAreRefusedClearly) {
  KvStore store;
  ASSERT_TRUE(store.put(put("k", "v")));
  RangeRequest future = range("k");
  future.revision = 10;
  auto ahead = store.range(future);
  ASSERT_FALSE(ahead);
  EXPECT_EQ(ahead.error().message, kErrFutureRev);
  RangeRequest past = range("k");
  past.revision = 1;
  auto behind = store.range(past);
  ASSERT_FALSE(behind);
  EXPECT_EQ(behind.error().message, kErrPastRevision);
  RangeRequest now = range("k");
  now.revision = 2;
  EXPECT_TRUE(store.range(now));
}

TEST(KvStoreKv, CreateIfAbsentSucceedsOnceThenReadsTheWinner) {
  KvStore store;
  auto first = store.txn(create_if_absent("name", "node-a"));
  ASSERT_TRUE(first) << first.error().message;
  EXPECT_TRUE(first->succeeded);
  EXPECT_EQ(first->revision, 2);
  ASSERT_EQ(first->responses.size(), 1u);
  EXPECT_EQ(std::get<PutResponse>(first->responses[0]).revision, 2);

  auto second = store.txn(create_if_absent("name", "node-b"));
  ASSERT_TRUE(second);
  EXPECT_FALSE(second->succeeded);
  EXPECT_EQ(second->revision, 2) << "a txn that wrote nothing takes no revision";
  ASSERT_EQ(second->responses.size(), 1u);
  const auto& read = std::get<RangeResponse>(second->responses[0]);
  ASSERT_EQ(read.kvs.size(), 1u);
  EXPECT_EQ(read.kvs[0].value, "node-a");
}

TEST(KvStoreKv, CreateIfAbsentHasExactlyOneWinnerUnderRacingThreads) {
  KvStore store;
  constexpr int kKeys = 300;
  std::vector<std::atomic<int>> wins(kKeys);
  std::atomic<bool> go{false};
  std::atomic<int> failures{0};
  auto racer = [&](const std::string& who) {
    while (!go.load()) std::this_thread::yield();
    for (int i = 0; i < kKeys; ++i) {
      auto done = store.txn(create_if_absent("name/" + std::to_string(i), who));
      if (!done) {
        failures.fetch_add(1);
      } else if (done->succeeded) {
        wins[i].fetch_add(1);
      }
    }
  };
  std::thread a(racer, "a");
  std::thread b(racer, "b");
  go = true;
  a.join();
  b.join();
  EXPECT_EQ(failures.load(), 0);
  for (int i = 0; i < kKeys; ++i) EXPECT_EQ(wins[i].load(), 1) << "key " << i;
  EXPECT_EQ(store.revision(), 1 + kKeys);
}

TEST(KvStoreKv, CompareTargetsAndResultsFollowEtcd) {
  KvStore store;
  ASSERT_TRUE(store.put(put("k", "m")));  // create 2, mod 2, version 1
  ASSERT_TRUE(store.put(put("k", "m")));  // mod 3, version 2
  const auto holds = [&](Compare::Target target, Compare::Result result, std::int64_t number,
                         std::string value = {}, std::string key = "k") {
    TxnRequest txn;
    Compare compare;
    compare.target = target;
    compare.result = result;
    compare.range.key = std::move(key);
    compare.number = number;
    compare.value = std::move(value);
    txn.compare.push_back(compare);
    auto done = store.txn(txn);
    EXPECT_TRUE(done) << done.error().message;
    return done && done->succeeded;
  };
  using T = Compare::Target;
  using R = Compare::Result;
  EXPECT_TRUE(holds(T::kVersion, R::kEqual, 2));
  EXPECT_TRUE(holds(T::kMod, R::kGreater, 2));
  EXPECT_FALSE(holds(T::kMod, R::kLess, 3));
  EXPECT_TRUE(holds(T::kCreate, R::kNotEqual, 0));
  EXPECT_TRUE(holds(T::kValue, R::kGreater, 0, "a"));
  EXPECT_TRUE(holds(T::kValue, R::kLess, 0, "z"));
  EXPECT_TRUE(holds(T::kLease, R::kEqual, 0));
  // A missing key: zeros for numbers, and a VALUE compare that never holds.
  EXPECT_TRUE(holds(T::kVersion, R::kEqual, 0, {}, "missing"));
  EXPECT_FALSE(holds(T::kValue, R::kEqual, 0, "", "missing"));
  EXPECT_FALSE(holds(T::kValue, R::kNotEqual, 0, "x", "missing"));
}

TEST(KvStoreKv, ATxnWithSeveralWritesIsOneRevision) {
  KvStore store;
  ASSERT_TRUE(store.put(put("old", "x")));  // 2
  TxnRequest txn;
  txn.success.emplace_back(put("a", "1"));
  txn.success.emplace_back(put("b", "2"));
  txn.success.emplace_back(DeleteRangeRequest{KeyRange{"old", {}}, false});
  txn.success.emplace_back(range("a"));
  auto done = store.txn(txn);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_TRUE(done->succeeded) << "no compares: the success branch";
  EXPECT_EQ(done->revision, 3);
  EXPECT_EQ(store.revision(), 3);
  const auto& read = std::get<RangeResponse>(done->responses[3]);
  EXPECT_EQ(read.revision, 3) << "a read after a write in the txn sees the new revision";
  ASSERT_EQ(read.kvs.size(), 1u);
  EXPECT_EQ(read.kvs[0].mod_revision, 3);
  EXPECT_EQ(std::get<DeleteRangeResponse>(done->responses[2]).deleted, 1);
}

TEST(KvStoreKv, ARefusedTxnChangesNothing) {
  KvStore store;
  TxnRequest txn;
  txn.success.emplace_back(put("a", "1"));
  txn.success.emplace_back(put("b", "2", 999));  // no such lease
  auto refused = store.txn(txn);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, kErrLeaseNotFound);
  EXPECT_EQ(store.revision(), 1);
  auto got = store.range(range("a"));
  ASSERT_TRUE(got);
  EXPECT_EQ(got->count, 0);
}

TEST(KvStoreKv, AnUnknownLeaseOnTheBranchNotTakenIsNoError) {
  KvStore store;
  TxnRequest txn;
  txn.compare.push_back(created_at("k", 5));  // false
  txn.success.emplace_back(put("k", "v", 999));
  txn.failure.emplace_back(range("k"));
  auto done = store.txn(txn);
  ASSERT_TRUE(done) << done.error().message;
  EXPECT_FALSE(done->succeeded);
}

TEST(KvStoreKv, DuplicateKeysAndTooManyOperationsAreRefused) {
  KvStore store;
  TxnRequest twice;
  twice.success.emplace_back(put("k", "1"));
  twice.success.emplace_back(put("k", "2"));
  auto refused = store.txn(twice);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().message, kErrDuplicateKey);

  TxnRequest put_and_delete;
  put_and_delete.success.emplace_back(put("p/1", "1"));
  put_and_delete.success.emplace_back(DeleteRangeRequest{KeyRange{"p/", "p0"}, false});
  auto overlapping = store.txn(put_and_delete);
  ASSERT_FALSE(overlapping);
  EXPECT_EQ(overlapping.error().message, kErrDuplicateKey);

  TxnRequest many;
  for (std::size_t i = 0; i <= kMaxTxnOps; ++i) many.success.emplace_back(range("k"));
  auto too_many = store.txn(many);
  ASSERT_FALSE(too_many);
  EXPECT_EQ(too_many.error().message, kErrTooManyOps);
  EXPECT_EQ(store.revision(), 1);
}

}  // namespace
}  // namespace lunatic::cluster
