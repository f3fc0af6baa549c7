// Every live process by id, for lookups from any thread (send, link, kill, timers).
// Sharded so that spawns and lookups on different workers rarely meet on one lock.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace lunatic::runtime {

class Process;

class ProcessTable {
 public:
  void insert(std::uint64_t id, std::shared_ptr<Process> process);
  std::shared_ptr<Process> find(std::uint64_t id) const;
  // Removes and returns the entry (the caller decides where the last reference dies).
  std::shared_ptr<Process> remove(std::uint64_t id);
  std::size_t size() const { return size_.load(std::memory_order_relaxed); }
  // Up to `limit` entries, shard by shard (each shard's lock held only while it is copied).
  std::vector<std::shared_ptr<Process>> collect(std::size_t limit) const;
  // Removes every entry; used at shutdown.
  void clear();

 private:
  static constexpr std::size_t kShards = 64;
  struct Shard {
    // A plain mutex, not a reader-writer lock: lookups hold it for a hash probe, and on this
    // machine a shared_mutex's lock and unlock cost three times a mutex's (ping-pong spent
    // 10% of its time in them).
    mutable std::mutex mutex;
    std::unordered_map<std::uint64_t, std::shared_ptr<Process>> processes;
  };
  Shard& shard(std::uint64_t id) { return shards_[id % kShards]; }
  const Shard& shard(std::uint64_t id) const { return shards_[id % kShards]; }

  std::array<Shard, kShards> shards_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace lunatic::runtime
