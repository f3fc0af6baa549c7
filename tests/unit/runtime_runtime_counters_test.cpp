// RuntimeCounters: per-worker blocks and a shared one, summed when Prometheus scrapes.
#include "runtime/runtime_counters.hpp"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace lunatic::runtime {
namespace {

TEST(RuntimeCounters, WorkersBlocksAndTheSharedBlockSumIntoTheTotals) {
  RuntimeCounters counters(2);
  constexpr std::uint64_t kAdds = 200'000;
  // Two threads own a worker's block each (plain stores); two others add to the shared block
  // (fetch_add) at the same time. No update may be lost.
  std::vector<std::thread> threads;
  for (unsigned worker = 0; worker < 2; ++worker) {
    threads.emplace_back([&, worker] {
      const RuntimeCounters::Binding binding(counters, worker);
      for (std::uint64_t i = 0; i < kAdds; ++i) counters.add(Counter::kMessagesReceived);
      counters.add(Counter::kSteals, worker + 1);
    });
  }
  for (int other = 0; other < 2; ++other) {
    threads.emplace_back([&] {
      for (std::uint64_t i = 0; i < kAdds; ++i) counters.add(Counter::kMessagesReceived);
    });
  }
  for (auto& thread : threads) thread.join();
  const RuntimeCounters::Totals totals = counters.totals();
  EXPECT_EQ(totals[Counter::kMessagesReceived], 4 * kAdds);
  EXPECT_EQ(totals[Counter::kSteals], 3u);
  EXPECT_EQ(totals.steals_per_worker, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(totals[Counter::kMessageBytesReceived], 0u);
}

TEST(RuntimeCounters, AWorkerOfAnotherRuntimeCountsInThisOnesSharedBlock) {
  RuntimeCounters mine(1);
  RuntimeCounters other(1);
  const RuntimeCounters::Binding binding(other, 0);
  mine.add(Counter::kProcessesSpawned, 3);
  other.add(Counter::kProcessesSpawned, 5);
  EXPECT_EQ(mine.totals()[Counter::kProcessesSpawned], 3u);
  EXPECT_EQ(other.totals()[Counter::kProcessesSpawned], 5u);
  EXPECT_EQ(other.totals().steals_per_worker, (std::vector<std::uint64_t>{0}));
}

TEST(RuntimeCounters, ABindingEndsWithItsScope) {
  RuntimeCounters counters(1);
  {
    const RuntimeCounters::Binding binding(counters, 0);
    count_on_worker(Counter::kSocketBytesIn, 10);
  }
  count_on_worker(Counter::kSocketBytesIn, 100);  // no worker here: not counted
  EXPECT_EQ(counters.totals()[Counter::kSocketBytesIn], 10u);
}

TEST(RuntimeCounters, DepthBucketsArePowersOfFour) {
  EXPECT_EQ(depth_bucket(0), 0u);
  EXPECT_EQ(depth_bucket(1), 0u);
  EXPECT_EQ(depth_bucket(2), 1u);
  EXPECT_EQ(depth_bucket(4), 1u);
  EXPECT_EQ(depth_bucket(5), 2u);
  EXPECT_EQ(depth_bucket(16), 2u);
  EXPECT_EQ(depth_bucket(17), 3u);
  EXPECT_EQ(depth_bucket(depth_bucket_bound(kDepthBuckets - 2)), kDepthBuckets - 2);
  EXPECT_EQ(depth_bucket(depth_bucket_bound(kDepthBuckets - 2) + 1), kDepthBuckets - 1);
  EXPECT_EQ(depth_bucket(UINT64_MAX), kDepthBuckets - 1);
  for (std::uint64_t depth = 1; depth < 5000; ++depth) {
    const std::size_t bucket = depth_bucket(depth);
    ASSERT_LE(depth, depth_bucket_bound(bucket)) << depth;
    if (bucket > 0) {
      ASSERT_GT(depth, depth_bucket_bound(bucket - 1)) << depth;
    }
  }
}

TEST(RuntimeCounters, SendsFillTheDepthHistogramAndTheLargestDepthIsKept) {
  RuntimeCounters counters(2);
  std::thread worker([&] {
    const RuntimeCounters::Binding binding(counters, 1);
    counters.note_sent(/*depth=*/3, /*bytes=*/8);
    counters.note_sent(/*depth=*/40, /*bytes=*/0);
  });
  worker.join();
  counters.note_sent(/*depth=*/1, /*bytes=*/100);  // from no worker: the shared block
  counters.note_received(/*bytes=*/8);
  const RuntimeCounters::Totals totals = counters.totals();
  auto bucket = [&](std::size_t b) { return totals.depth_bucket(b); };
  EXPECT_EQ(totals.messages_sent(), 3u);
  EXPECT_EQ(totals[Counter::kMessageBytesSent], 108u);
  EXPECT_EQ(totals[Counter::kMessagesReceived], 1u);
  EXPECT_EQ(totals[Counter::kMessageBytesReceived], 8u);
  EXPECT_EQ(totals[Counter::kMailboxDepthSum], 44u);
  EXPECT_EQ(totals.mailbox_depth_max, 40u);
  EXPECT_EQ(bucket(0), 1u);  // 1
  EXPECT_EQ(bucket(1), 1u);  // 3
  EXPECT_EQ(bucket(3), 1u);  // 40, in (16, 64]
}

TEST(RuntimeCounters, WhatASendOfAShallowMailboxTouchesSharesOneCacheLine) {
  const CounterBlock block;
  const auto* base = reinterpret_cast<const char*>(&block);
  auto line_of = [&](const void* field) {
    return (reinterpret_cast<const char*>(field) - base) / 64;
  };
  EXPECT_EQ(line_of(&block.mailbox_depth_max), 0);
  for (Counter counter : {Counter::kMessageBytesSent, Counter::kMessagesReceived,
                          Counter::kMessageBytesReceived, Counter::kMailboxDepthSum}) {
    EXPECT_EQ(line_of(&block[counter]), 0);
  }
  for (std::size_t depth : {1, 4, 16}) {
    const auto bucket = static_cast<Counter>(static_cast<std::size_t>(Counter::kDepthBucketFirst) +
                                             depth_bucket(depth));
    EXPECT_EQ(line_of(&block[bucket]), 0) << depth;
  }
}

TEST(RuntimeCounters, EveryExitReasonHasItsOwnLabel) {
  std::vector<std::string> labels;
  for (std::size_t i = 0; i < kExitReasons; ++i) {
    labels.emplace_back(engine::trap_kind_label(static_cast<engine::TrapKind>(i)));
    EXPECT_NE(labels.back(), "unknown");
    for (std::size_t j = 0; j + 1 < labels.size(); ++j) EXPECT_NE(labels[j], labels.back());
  }
  EXPECT_EQ(static_cast<std::size_t>(exit_counter(engine::TrapKind::kKilled)) + 1,
            static_cast<std::size_t>(Counter::kCount));
}

}  // namespace
}  // namespace lunatic::runtime
