// KvStore watches: live events, replay of recent history, and what a watch too far back gets.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cluster/kv_store.hpp"

namespace lunatic::cluster {
namespace {

PutRequest put(std::string key, std::string value) {
  PutRequest request;
  request.key = std::move(key);
  request.value = std::move(value);
  return request;
}

struct Recorder {
  std::vector<WatchBatch> batches;
  KvStore::WatchCallback callback() {
    return [this](WatchBatch&& batch) { batches.push_back(std::move(batch)); };
  }
  std::vector<std::string> keys() const {
    std::vector<std::string> out;
    for (const auto& batch : batches) {
      for (const auto& event : batch.events) out.push_back(event.kv.key);
    }
    return out;
  }
};

TEST(KvStoreWatch, AWatchSeesLaterPutsAndDeletesInItsRangeOnly) {
  KvStore store;
  Recorder seen;
  auto watch = store.watch(KeyRange{"n/", "n0"}, 0, false, seen.callback());
  ASSERT_TRUE(store.put(put("n/1", "a")));                                          // 2
  ASSERT_TRUE(store.put(put("other", "x")));                                        // 3
  ASSERT_TRUE(store.delete_range(DeleteRangeRequest{KeyRange{"n/1", {}}, false}));  // 4

  ASSERT_EQ(seen.batches.size(), 2u);
  const Event& created = seen.batches[0].events.at(0);
  EXPECT_EQ(seen.batches[0].revision, 2);
  EXPECT_EQ(created.type, Event::Type::kPut);
  EXPECT_EQ(created.kv.value, "a");
  EXPECT_EQ(created.kv.create_revision, 2);
  EXPECT_EQ(created.kv.version, 1);
  EXPECT_FALSE(created.prev_kv);
  const Event& deleted = seen.batches[1].events.at(0);
  EXPECT_EQ(seen.batches[1].revision, 4);
  EXPECT_EQ(deleted.type, Event::Type::kDelete);
  EXPECT_EQ(deleted.kv.key, "n/1");
  EXPECT_EQ(deleted.kv.mod_revision, 4);
  EXPECT_EQ(deleted.kv.create_revision, 0);
  EXPECT_TRUE(deleted.kv.value.empty());
  EXPECT_FALSE(deleted.prev_kv) << "prev_kv was not asked for";
}

TEST(KvStoreWatch, PrevKvComesWhenAskedFor) {
  KvStore store;
  ASSERT_TRUE(store.put(put("k", "first")));
  Recorder seen;
  auto watch = store.watch(KeyRange{"k", {}}, 0, true, seen.callback());
  ASSERT_TRUE(store.put(put("k", "second")));
  ASSERT_TRUE(store.delete_range(DeleteRangeRequest{KeyRange{"k", {}}, false}));
  ASSERT_EQ(seen.batches.size(), 2u);
  ASSERT_TRUE(seen.batches[0].events[0].prev_kv);
  EXPECT_EQ(seen.batches[0].events[0].prev_kv->value, "first");
  ASSERT_TRUE(seen.batches[1].events[0].prev_kv);
  EXPECT_EQ(seen.batches[1].events[0].prev_kv->value, "second");
}

TEST(KvStoreWatch, AWatchFromAPastRevisionReplaysWhatItMissedInOneBatch) {
  KvStore store;
  ASSERT_TRUE(store.put(put("a", "1")));  // 2
  ASSERT_TRUE(store.put(put("b", "2")));  // 3
  ASSERT_TRUE(store.put(put("a", "3")));  // 4
  Recorder seen;
  auto watch = store.watch(KeyRange{"a", {}}, 3, false, seen.callback());
  ASSERT_EQ(seen.batches.size(), 1u);
  EXPECT_EQ(seen.batches[0].revision, 4) << "a replay's header is the current revision";
  EXPECT_EQ(seen.keys(), std::vector<std::string>{"a"});
  EXPECT_EQ(seen.batches[0].events[0].kv.mod_revision, 4);

  Recorder all;
  auto from_start =
      store.watch(KeyRange{std::string(1, '\0'), std::string(1, '\0')}, 1, false, all.callback());
  EXPECT_EQ(all.keys(), (std::vector<std::string>{"a", "b", "a"}));
  ASSERT_TRUE(store.put(put("c", "4")));
  EXPECT_EQ(all.keys(), (std::vector<std::string>{"a", "b", "a", "c"})) << "then it goes on live";
}

TEST(KvStoreWatch, AWatchFromNowReplaysNothing) {
  KvStore store;
  ASSERT_TRUE(store.put(put("a", "1")));
  Recorder seen;
  auto watch = store.watch(KeyRange{"a", {}}, 0, false, seen.callback());
  EXPECT_TRUE(seen.batches.empty());
}

TEST(KvStoreWatch, AWatchBeforeACompactionIsToldTheCompactRevisionAndEnds) {
  KvStore store;
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store.put(put("k", std::to_string(i))));  // 2..6
  auto compacted = store.compact(4);
  ASSERT_TRUE(compacted) << compacted.error().message;
  EXPECT_EQ(store.compact_revision(), 4);

  Recorder too_old;
  auto watch = store.watch(KeyRange{"k", {}}, 3, false, too_old.callback());
  ASSERT_EQ(too_old.batches.size(), 1u);
  EXPECT_EQ(too_old.batches[0].compact_revision, 4);
  EXPECT_EQ(too_old.batches[0].revision, 0);
  EXPECT_TRUE(too_old.batches[0].events.empty());
  ASSERT_TRUE(store.put(put("k", "later")));
  EXPECT_EQ(too_old.batches.size(), 1u) << "a compacted watch is over";
  EXPECT_EQ(store.watcher_count(), 0u);

  Recorder from_compaction;
  auto resumed = store.watch(KeyRange{"k", {}}, 4, false, from_compaction.callback());
  ASSERT_EQ(from_compaction.batches.size(), 1u) << "the compact revision itself can be replayed";
  EXPECT_EQ(from_compaction.batches[0].events.size(), 4u);  // revisions 4, 5, 6, 7

  EXPECT_EQ(store.compact(4).error().message, kErrCompacted);
  EXPECT_EQ(store.compact(100).error().message, kErrFutureRev);
}

TEST(KvStoreWatch, TheHistoryBoundCompactsTheOldestRevisions) {
  KvStore store(KvStore::Options{{}, 3});
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(store.put(put("k" + std::to_string(i), "v")));  // 2..6
  EXPECT_EQ(store.compact_revision(), 4) << "events of revisions 4, 5, 6 are kept";
  Recorder too_old;
  auto lost = store.watch(KeyRange{"k0", {}}, 2, false, too_old.callback());
  ASSERT_EQ(too_old.batches.size(), 1u);
  EXPECT_EQ(too_old.batches[0].compact_revision, 4);
  Recorder recent;
  auto kept = store.watch(KeyRange{"k", "l"}, 4, false, recent.callback());
  EXPECT_EQ(recent.keys(), (std::vector<std::string>{"k2", "k3", "k4"}));
}

TEST(KvStoreWatch, AnEndedWatchHearsNothingMore) {
  KvStore store;
  Recorder seen;
  auto watch = store.watch(KeyRange{"k", {}}, 0, false, seen.callback());
  EXPECT_EQ(store.watcher_count(), 1u);
  watch.reset();
  EXPECT_EQ(store.watcher_count(), 0u);
  ASSERT_TRUE(store.put(put("k", "v")));
  EXPECT_TRUE(seen.batches.empty());
}

TEST(KvStoreWatch, ATxnsEventsArriveAsOneBatch) {
  KvStore store;
  Recorder seen;
  auto watch = store.watch(KeyRange{"a", "z"}, 0, false, seen.callback());
  TxnRequest txn;
  txn.success.emplace_back(put("a", "1"));
  txn.success.emplace_back(put("b", "2"));
  ASSERT_TRUE(store.txn(txn));
  ASSERT_EQ(seen.batches.size(), 1u);
  EXPECT_EQ(seen.batches[0].events.size(), 2u);
  EXPECT_EQ(seen.batches[0].events[0].kv.mod_revision, seen.batches[0].events[1].kv.mod_revision);
}

}  // namespace
}  // namespace lunatic::cluster
