// The runtime's own counters (docs/observability.md), kept so that counting costs nothing
// measurable on the paths that spawn, send and receive: no lock, no allocation, no clock, and no
// locked read-modify-write on a worker.
//
// Each worker has a block of counters on cache lines of its own, written only by its thread (a
// relaxed load and store, no `lock` prefix). Any other thread (transport, compile, main) adds
// to one shared block with fetch_add. A scrape sums the blocks: a relaxed read of a counter
// another thread is bumping is a value it had, so the sum lags by at most the updates in flight.
//
// Thread: add, note_sent, note_received and count_on_worker from any thread; bind_worker on the
// thread that will act as that worker; totals from any thread.
#pragma once

#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/execution/trap.hpp"

namespace lunatic::runtime {

// How a process ended, for lunatic_process_exits_total{reason}: its engine::TrapKind, kNone for
// a normal end (it returned, or called proc_exit(0)) and kExit for a nonzero exit code. The
// label of each is engine::trap_kind_label. kUpgrade, the last kind, ends no process (it moves
// to new code), so it has no counter.
inline constexpr std::size_t kExitReasons = static_cast<std::size_t>(engine::TrapKind::kKilled) + 1;
static_assert(kExitReasons + 1 == engine::kTrapKinds);

// Mailbox depths (messages queued, the new one included) are counted in buckets whose upper
// bounds are powers of 4 (1, 4, 16, ... 4^10), then +Inf: a bucket is found with one bit scan.
inline constexpr std::size_t kDepthBuckets = 12;  // 11 bounds and +Inf
inline constexpr std::uint64_t depth_bucket_bound(std::size_t bucket) {
  return std::uint64_t{1} << (2 * bucket);
}
inline constexpr std::size_t depth_bucket(std::uint64_t depth) {
  // The least b with depth <= 4^b: ceil(log4(depth)).
  const std::size_t bucket = depth <= 1 ? 0 : (std::bit_width(depth - 1) + 1) / 2;
  return bucket < kDepthBuckets - 1 ? bucket : kDepthBuckets - 1;
}

// What a send and a receive touch comes first, so that with the depth maximum before it a
// message costs its worker one cache line of counters (depths up to 16). A send is counted
// once, in its depth bucket: the messages sent are the histogram's count.
enum class Counter : std::uint8_t {
  kMessageBytesSent,      // of the messages put in a mailbox (or handed to a waiting receiver)
  kMessagesReceived,      // taken by a receive
  kMessageBytesReceived,  // of those
  kMailboxDepthSum,       // with the depth buckets: a histogram of the depth at each send
  kDepthBucketFirst,      // kDepthBuckets counters
  kProcessesSpawned = kDepthBucketFirst + kDepthBuckets,
  kLinksAdded,  // link ends: a link between two local processes is two
  kLinksRemoved,
  kMonitorsAdded,
  kMonitorsRemoved,
  kRegistryWrites,
  kRegistryReads,
  kRegistryDeletions,
  kSteals,         // processes a worker took from another worker's queue
  kSocketBytesIn,  // plaintext, for TLS streams
  kSocketBytesOut,
  kExitFirst,  // kExitReasons counters, one per engine::TrapKind
  kCount = kExitFirst + kExitReasons,
};

inline constexpr Counter exit_counter(engine::TrapKind reason) {
  return static_cast<Counter>(static_cast<std::size_t>(Counter::kExitFirst) +
                              static_cast<std::size_t>(reason));
}

// One thread's counters (or the shared ones), on cache lines of their own.
struct alignas(64) CounterBlock {
  std::atomic<std::uint64_t> mailbox_depth_max{0};
  std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(Counter::kCount)> values{};

  std::atomic<std::uint64_t>& operator[](Counter counter) {
    return values[static_cast<std::size_t>(counter)];
  }
  const std::atomic<std::uint64_t>& operator[](Counter counter) const {
    return values[static_cast<std::size_t>(counter)];
  }
  // By the block's only writer: a plain load and store (no locked instruction).
  void add_owned(Counter counter, std::uint64_t n) {
    auto& value = (*this)[counter];
    value.store(value.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  void add_shared(Counter counter, std::uint64_t n) {
    (*this)[counter].fetch_add(n, std::memory_order_relaxed);
  }
  void max_owned(std::uint64_t depth) {
    if (depth > mailbox_depth_max.load(std::memory_order_relaxed)) {
      mailbox_depth_max.store(depth, std::memory_order_relaxed);
    }
  }
  void max_shared(std::uint64_t depth) {
    std::uint64_t seen = mailbox_depth_max.load(std::memory_order_relaxed);
    while (depth > seen &&
           !mailbox_depth_max.compare_exchange_weak(seen, depth, std::memory_order_relaxed)) {
    }
  }
};

class RuntimeCounters;

// Which block the calling thread owns, if it acts as a worker.
struct CounterBinding {
  const RuntimeCounters* owner = nullptr;
  CounterBlock* block = nullptr;
};
inline thread_local CounterBinding t_counter_binding;

// For code that runs only on behalf of a process, so always on some worker (sockets): adds to
// the calling worker's block, whichever runtime it belongs to. On a thread that is no worker
// (a unit test driving a socket by hand) it counts nothing.
inline void count_on_worker(Counter counter, std::uint64_t n = 1) {
  if (CounterBlock* block = t_counter_binding.block) block->add_owned(counter, n);
}

class RuntimeCounters {
 public:
  explicit RuntimeCounters(unsigned workers);
  RuntimeCounters(const RuntimeCounters&) = delete;
  RuntimeCounters& operator=(const RuntimeCounters&) = delete;

  // The calling thread owns worker `index`'s block while this lives.
  class Binding {
   public:
    Binding(RuntimeCounters& counters, unsigned index);
    ~Binding();
    Binding(const Binding&) = delete;
    Binding& operator=(const Binding&) = delete;

   private:
    CounterBinding previous_;
  };

  void add(Counter counter, std::uint64_t n = 1) {
    const CounterBinding& bound = t_counter_binding;
    if (bound.owner == this) {
      bound.block->add_owned(counter, n);
    } else {
      shared_.add_shared(counter, n);
    }
  }
  // A message was queued (or handed to its waiting receiver) where `depth` messages, it
  // included, now wait: the sent counters and the depth histogram in one look at the binding.
  void note_sent(std::uint64_t depth, std::uint64_t bytes) {
    const CounterBinding& bound = t_counter_binding;
    const Counter bucket = static_cast<Counter>(
        static_cast<std::size_t>(Counter::kDepthBucketFirst) + depth_bucket(depth));
    if (bound.owner == this) {
      CounterBlock& block = *bound.block;
      block.add_owned(Counter::kMessageBytesSent, bytes);
      block.add_owned(bucket, 1);
      block.add_owned(Counter::kMailboxDepthSum, depth);
      block.max_owned(depth);
    } else {
      shared_.add_shared(Counter::kMessageBytesSent, bytes);
      shared_.add_shared(bucket, 1);
      shared_.add_shared(Counter::kMailboxDepthSum, depth);
      shared_.max_shared(depth);
    }
  }

  // A receive took a message carrying `bytes` of data.
  void note_received(std::uint64_t bytes) {
    const CounterBinding& bound = t_counter_binding;
    if (bound.owner == this) {
      bound.block->add_owned(Counter::kMessagesReceived, 1);
      bound.block->add_owned(Counter::kMessageBytesReceived, bytes);
    } else {
      shared_.add_shared(Counter::kMessagesReceived, 1);
      shared_.add_shared(Counter::kMessageBytesReceived, bytes);
    }
  }

  // Every block summed (the depth maximum is the largest), and each worker's steals.
  struct Totals {
    std::array<std::uint64_t, static_cast<std::size_t>(Counter::kCount)> values{};
    std::uint64_t mailbox_depth_max = 0;
    std::vector<std::uint64_t> steals_per_worker;

    std::uint64_t operator[](Counter counter) const {
      return values[static_cast<std::size_t>(counter)];
    }
    std::uint64_t depth_bucket(std::size_t bucket) const {
      return values[static_cast<std::size_t>(Counter::kDepthBucketFirst) + bucket];
    }
    std::uint64_t messages_sent() const;  // the depth histogram's count
  };
  Totals totals() const;

 private:
  std::vector<std::unique_ptr<CounterBlock>> workers_;
  CounterBlock shared_;
};

}  // namespace lunatic::runtime
