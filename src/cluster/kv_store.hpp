// An in-memory key-value store with etcd v3's semantics for the subset cluster membership uses:
// one global revision, per-key create/mod revisions and versions, leases with a TTL whose
// expiry deletes their keys, range/put/delete, transactions with compares, and watches that
// replay recent history. `lunatic control` serves it over etcd's JSON gateway
// (control_server.hpp), so the store client and membership code run unchanged against either.
//
// What follows etcd 3.4 exactly (etcdserver/apply.go, mvcc/kvstore_txn.go, lease/lessor.go):
// - the revision starts at 1; a request that changes something (a put, a delete that found
//   keys, a transaction with either, a revoke of a lease with keys) adds exactly one;
// - revoking or expiring a lease deletes all its keys in ONE revision, in key order;
// - a delete event's kv holds only the key and the mod_revision;
// - a compare on a missing key compares against zeros (a VALUE compare on it fails);
// - granted TTLs are at least kMinLeaseTtl seconds and at most kMaxLeaseTtl.
// What differs: only the current revision can be read (history is kept for watches only), and
// "compaction" is the bound on that history.
//
// Thread: every method is thread-safe (one mutex). Watch callbacks run with that mutex held:
// they must only queue what they get, never call back into the store.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "common/error.hpp"

namespace lunatic::cluster {

// etcd's error texts, which clients may match on, and the gRPC code of each (the JSON gateway
// sends both).
inline constexpr std::string_view kErrEmptyKey = "etcdserver: key is not provided";
inline constexpr std::string_view kErrKeyNotFound = "etcdserver: key not found";
inline constexpr std::string_view kErrValueProvided = "etcdserver: value is provided";
inline constexpr std::string_view kErrLeaseProvided = "etcdserver: lease is provided";
inline constexpr std::string_view kErrTooManyOps = "etcdserver: too many operations in txn request";
inline constexpr std::string_view kErrDuplicateKey =
    "etcdserver: duplicate key given in txn request";
inline constexpr std::string_view kErrCompacted =
    "etcdserver: mvcc: required revision has been compacted";
inline constexpr std::string_view kErrFutureRev =
    "etcdserver: mvcc: required revision is a future revision";
inline constexpr std::string_view kErrLeaseNotFound = "etcdserver: requested lease not found";
inline constexpr std::string_view kErrLeaseExists = "etcdserver: lease already exists";
inline constexpr std::string_view kErrLeaseTtlTooLarge = "etcdserver: too large lease TTL";
// Ours: etcd keeps every revision until compacted; this store keeps only the current one.
inline constexpr std::string_view kErrPastRevision =
    "lunatic control: reads at a past revision are not supported";

// gRPC status codes the gateway reports (google.golang.org/grpc/codes).
enum class GrpcCode : int {
  kInvalidArgument = 3,
  kNotFound = 5,
  kPermissionDenied = 7,
  kFailedPrecondition = 9,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kUnauthenticated = 16,
};
// The code etcd gives the error with this message; kInvalidArgument for any other.
GrpcCode grpc_code_of(std::string_view message);

inline constexpr std::int64_t kMinLeaseTtl = 2;  // etcd's with its default 1 s election timeout
inline constexpr std::int64_t kMaxLeaseTtl = 9'000'000'000;
inline constexpr std::size_t kMaxTxnOps = 128;

struct StoredKey {
  std::string key;
  std::int64_t create_revision = 0;
  std::int64_t mod_revision = 0;
  std::int64_t version = 0;
  std::string value;
  std::int64_t lease = 0;
};

struct Event {
  enum class Type { kPut = 0, kDelete = 1 };
  Type type = Type::kPut;
  StoredKey kv;  // for a delete: the key and the mod_revision of the delete only
  std::optional<StoredKey> prev_kv;
};

// A key range as etcd has it: range_end empty = the key alone; range_end "\0" = every key >= key;
// otherwise [key, range_end).
struct KeyRange {
  std::string key;
  std::string range_end;
  bool contains(std::string_view k) const;
};

struct RangeRequest {
  KeyRange range;
  std::int64_t limit = 0;
  std::int64_t revision = 0;  // 0 or the current one: older revisions are not kept
  bool keys_only = false;
  bool count_only = false;
};
struct RangeResponse {
  std::int64_t revision = 0;
  std::vector<StoredKey> kvs;
  bool more = false;
  std::int64_t count = 0;
};

struct PutRequest {
  std::string key;
  std::string value;
  std::int64_t lease = 0;
  bool prev_kv = false;
  bool ignore_value = false;
  bool ignore_lease = false;
};
struct PutResponse {
  std::int64_t revision = 0;
  std::optional<StoredKey> prev_kv;
};

struct DeleteRangeRequest {
  KeyRange range;
  bool prev_kv = false;
};
struct DeleteRangeResponse {
  std::int64_t revision = 0;
  std::int64_t deleted = 0;
  std::vector<StoredKey> prev_kvs;
};

struct Compare {
  // etcd's enum numbers (rpc.proto), which the gateway also accepts on input.
  enum class Target { kVersion = 0, kCreate = 1, kMod = 2, kValue = 3, kLease = 4 };
  enum class Result { kEqual = 0, kGreater = 1, kLess = 2, kNotEqual = 3 };
  Target target = Target::kVersion;
  Result result = Result::kEqual;
  KeyRange range;
  std::int64_t number = 0;  // version, create/mod revision or lease, by target
  std::string value;        // for Target::kValue
};

using RequestOp = std::variant<RangeRequest, PutRequest, DeleteRangeRequest>;
using ResponseOp = std::variant<RangeResponse, PutResponse, DeleteRangeResponse>;

struct TxnRequest {
  std::vector<Compare> compare;
  std::vector<RequestOp> success;
  std::vector<RequestOp> failure;
};
struct TxnResponse {
  std::int64_t revision = 0;
  bool succeeded = false;
  std::vector<ResponseOp> responses;
};

struct LeaseGrantResponse {
  std::int64_t revision = 0;
  std::int64_t id = 0;
  std::int64_t ttl = 0;
};
struct LeaseKeepAliveResponse {
  std::int64_t revision = 0;
  std::int64_t id = 0;
  std::int64_t ttl = 0;  // 0: no such lease (etcd answers so, not with an error)
};
struct LeaseTimeToLiveResponse {
  std::int64_t revision = 0;
  std::int64_t id = 0;
  std::int64_t ttl = 0;  // whole seconds left, truncated; -1: no such lease
  std::int64_t granted_ttl = 0;
  std::vector<std::string> keys;  // when asked for
};

// What a watcher is told: events of one revision (or, on a replay, of every missed one), or that
// the history it asked for is gone (compact_revision, after which the watch is over).
struct WatchBatch {
  std::int64_t revision = 0;  // the header's: the store's revision when sent; 0 on compaction
  std::vector<Event> events;
  std::int64_t compact_revision = 0;
};

class KvStore {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  struct Options {
    Clock clock;                          // steady_clock::now when empty
    std::size_t history_events = 10'000;  // events kept for watch replay
  };

  KvStore();
  explicit KvStore(Options options);
  ~KvStore();
  KvStore(const KvStore&) = delete;
  KvStore& operator=(const KvStore&) = delete;

  std::int64_t revision() const;

  Expected<RangeResponse> range(const RangeRequest& request) const;
  // Errors: kErrEmptyKey, kErrLeaseNotFound, kErrKeyNotFound (ignore_value/ignore_lease on a
  // missing key), kErrValueProvided, kErrLeaseProvided.
  Expected<PutResponse> put(const PutRequest& request);
  Expected<DeleteRangeResponse> delete_range(const DeleteRangeRequest& request);
  // The compares and the chosen branch's operations as one atomic step: one revision at most.
  Expected<TxnResponse> txn(const TxnRequest& request);

  // id 0: the store picks a random positive one. Errors: kErrLeaseExists, kErrLeaseTtlTooLarge.
  Expected<LeaseGrantResponse> lease_grant(std::int64_t ttl, std::int64_t id);
  // Restarts the lease's TTL; an unknown or expired lease gets ttl 0, not an error.
  LeaseKeepAliveResponse lease_keepalive(std::int64_t id);
  // Deletes the lease and its keys (one revision if it had any). Error: kErrLeaseNotFound.
  Expected<std::int64_t> lease_revoke(std::int64_t id);
  // An unknown lease gets ttl -1, not an error (etcd's v3rpc answers so).
  LeaseTimeToLiveResponse lease_time_to_live(std::int64_t id, bool keys) const;
  // Revokes every lease whose TTL has run out by the clock. Returns how many. The control
  // server's timer thread calls it; tests call it after moving their clock.
  std::size_t expire_due_leases();
  // When the next lease runs out, if any lease exists.
  std::optional<std::chrono::steady_clock::time_point> next_expiry() const;

  // Drops watch history before `revision`: a watch from earlier is told compact_revision.
  // Errors: kErrCompacted (at or before the last compaction), kErrFutureRev.
  Expected<std::int64_t> compact(std::int64_t revision);
  // The oldest revision whose events are all still kept.
  std::int64_t compact_revision() const;
  std::size_t watcher_count() const;

  class Watch;
  using WatchCallback = std::function<void(WatchBatch&&)>;
  // Calls `on_batch` with the missed events from start_revision (0: from the next revision) in
  // one batch, then once per revision that changes a key in `range`. A start_revision older
  // than the kept history gets one batch with compact_revision set, and nothing after it. The
  // callback runs with the store's lock held (see the top of this file), so the Watch must
  // not be destroyed from inside it. An empty key means "\0", as in etcd's watch.
  std::unique_ptr<Watch> watch(KeyRange range, std::int64_t start_revision, bool prev_kv,
                               WatchCallback on_batch);

 private:
  struct Lease {
    std::int64_t id = 0;
    std::int64_t ttl = 0;
    std::chrono::steady_clock::time_point expiry;
    std::set<std::string> keys;
  };
  struct Watcher {
    KeyRange range;
    bool prev_kv = false;
    WatchCallback on_batch;
  };
  // One write transaction under the lock: changes go to `pending_`, committed by finish().
  class Writer;
  friend class Writer;

  std::chrono::steady_clock::time_point now() const;
  void unwatch(std::uint64_t id);
  std::int64_t revoke_locked(std::map<std::int64_t, Lease>::iterator lease);
  RangeResponse range_locked(const RangeRequest& request, std::int64_t revision) const;
  bool compare_locked(const Compare& compare) const;
  void record_locked(std::vector<Event> events);

  Options options_;
  mutable std::mutex mutex_;
  std::int64_t revision_ = 1;
  std::map<std::string, StoredKey> kvs_;
  std::map<std::int64_t, Lease> leases_;
  std::deque<Event> history_;          // oldest first; whole revisions only
  std::int64_t compact_revision_ = 1;  // every event from this revision on is in history_
  std::int64_t last_compaction_ = 0;   // the last compact() call's revision
  std::map<std::uint64_t, Watcher> watchers_;
  std::uint64_t next_watcher_ = 1;
  std::mt19937_64 random_;
};

// Ends the watch when it goes. Must not outlive its store.
class KvStore::Watch {
 public:
  Watch(KvStore& store, std::uint64_t id) : store_(store), id_(id) {}
  ~Watch() { store_.unwatch(id_); }
  Watch(const Watch&) = delete;
  Watch& operator=(const Watch&) = delete;

 private:
  KvStore& store_;
  std::uint64_t id_;
};

}  // namespace lunatic::cluster
