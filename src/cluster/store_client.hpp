// A client of etcd v3's JSON gateway (etcd 3.4: POST /v3/kv/..., /v3/lease/..., /v3/watch), the
// store that cluster membership and global names live in (docs/architecture.md, "Cluster
// membership"). Only what membership needs: leases, put/get/delete, prefix ranges, two
// transactions (create if absent, a counter) and a prefix watch.
//
// Threads: every method may be called from any thread at the same time. Each call opens its own
// HTTP connection, so calls share nothing but the endpoint and the options, and a hung call
// holds up no other. Every call is bounded by the connect and request timeouts; watch_prefix
// blocks until it is stopped or its stream fails.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/error.hpp"

namespace lunatic::cluster {

using LeaseId = std::int64_t;  // etcd's lease id; 0 means "no lease"

// Where the store answers: "http://host:port", "etcd://host:port" or "host:port".
struct StoreEndpoint {
  std::string host;
  std::uint16_t port = 0;

  static Expected<StoreEndpoint> parse(std::string_view url);
  std::string text() const;  // "host:port", the name errors use
};

struct StoreOptions {
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds request_timeout{2000};  // for each read and write of a call
  // A watch that receives nothing for this long ends with an error, so a caller learns of a
  // silently dead connection and starts over (a watch with no traffic is otherwise legal).
  std::chrono::milliseconds watch_idle_timeout{10000};
};

// One key as the store holds it. Revisions are the store's; `version` counts puts since the
// key was created; `lease` is 0 for a key on no lease.
struct KeyValue {
  std::string key;
  std::string value;
  std::int64_t create_revision = 0;
  std::int64_t mod_revision = 0;
  std::int64_t version = 0;
  LeaseId lease = 0;
};

struct RangeResult {
  std::int64_t revision = 0;  // the store's revision the range was read at
  std::vector<KeyValue> kvs;  // in key order
};

struct CreateResult {
  bool created = false;  // false: the key was there; `current` is what it holds
  KeyValue current;
};

struct WatchEvent {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  KeyValue kv;  // a delete carries the key and its mod_revision (the deletion's revision)
};

// Lets one thread end another's blocking watch_prefix promptly, with or without traffic.
class WatchStop {
 public:
  // Thread-safe. Marks the stop and interrupts the watch in progress, if any, returning once
  // that watch has noticed. Every later watch_prefix with this object returns at once.
  void request_stop();
  bool stop_requested() const { return stop_.load(std::memory_order_acquire); }

 private:
  friend class StoreClient;
  bool begin(std::function<void()> interrupt);  // false when already stopped
  void end();

  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable ended_;
  std::function<void()> interrupt_;  // set while a watch runs
};

class StoreClient {
 public:
  static Expected<StoreClient> create(std::string_view url, StoreOptions options = {});
  StoreClient(StoreEndpoint endpoint, StoreOptions options);

  const StoreEndpoint& endpoint() const { return endpoint_; }
  const StoreOptions& options() const { return options_; }

  // A new lease that lives `ttl` unless kept alive; its keys vanish with it.
  Expected<LeaseId> grant_lease(std::chrono::seconds ttl) const;
  // Renews the lease; returns its remaining TTL in seconds, 0 when the lease is gone (expired
  // or revoked: its keys have already been deleted).
  Expected<std::int64_t> keep_alive(LeaseId lease) const;
  // Ends the lease and deletes its keys. A lease that is already gone counts as revoked.
  Status revoke(LeaseId lease) const;

  // Returns the store's revision after the put.
  Expected<std::int64_t> put(std::string_view key, std::string_view value, LeaseId lease = 0) const;
  Expected<std::optional<KeyValue>> get(std::string_view key) const;
  Expected<RangeResult> range_prefix(std::string_view prefix) const;
  // Returns whether the key was there.
  Expected<bool> delete_key(std::string_view key) const;
  // Deletes the key only if it holds `value` (one transaction); returns whether it did.
  Expected<bool> delete_if_value(std::string_view key, std::string_view value) const;

  // Puts the key only if it does not exist (one transaction: create_revision == 0).
  Expected<CreateResult> create_if_absent(std::string_view key, std::string_view value,
                                          LeaseId lease = 0) const;
  // Counts the decimal counter at `key` up by one and returns the new value: 1 the first time,
  // never the same value twice, however many callers race (compare and swap on mod_revision,
  // retried on conflict).
  Expected<std::uint64_t> allocate_counter(std::string_view key) const;

  // Drops the history before `revision` (etcd's compaction); a later watch from an older
  // revision fails. For maintenance and tests.
  Status compact(std::int64_t revision) const;

  // Watches every key under `prefix` from `start_revision` (0: from now), calling `on_events`
  // on this thread with each batch of events in revision order. Returns Ok only when `stop` was
  // requested; otherwise the error that ended the stream (connection lost, idle timeout, the
  // start revision compacted away). To resume, watch again from the last event's
  // mod_revision + 1, or re-read the prefix when the error says the revision is compacted.
  Status watch_prefix(std::string_view prefix, std::int64_t start_revision,
                      const std::function<void(const std::vector<WatchEvent>&)>& on_events,
                      WatchStop& stop) const;

 private:
  struct Reply;
  Expected<Reply> call(const char* path, const std::string& body) const;
  std::string where(const char* path) const;

  StoreEndpoint endpoint_;
  StoreOptions options_;
};

// The end of etcd's range for "every key starting with prefix" (etcd's clientv3 rule).
std::string prefix_range_end(std::string_view prefix);

}  // namespace lunatic::cluster
