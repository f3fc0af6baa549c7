#include "cluster/kv_store.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace lunatic::cluster {
namespace {

Error store_error(std::string_view message) {
  return make_error(Errc::kInvalidArgument, std::string(message));
}

int compare_int64(std::int64_t a, std::int64_t b) { return a < b ? -1 : (a > b ? 1 : 0); }

bool single_key(const KeyRange& range) { return range.range_end.empty(); }
bool to_the_end(const KeyRange& range) {
  return range.range_end.size() == 1 && range.range_end[0] == '\0';
}

// The key-order iterators [first, last) of `range` in `kvs`.
template <class Map>
auto bounds(Map& kvs, const KeyRange& range) {
  auto first = kvs.lower_bound(range.key);
  if (single_key(range)) {
    auto last = first;
    if (last != kvs.end() && last->first == range.key) ++last;
    return std::pair{first, last};
  }
  if (to_the_end(range)) return std::pair{first, kvs.end()};
  if (range.range_end <= range.key) return std::pair{first, first};
  return std::pair{first, kvs.lower_bound(range.range_end)};
}

Status check_put(const PutRequest& put) {
  if (put.key.empty()) return store_error(kErrEmptyKey);
  if (put.ignore_value && !put.value.empty()) return store_error(kErrValueProvided);
  if (put.ignore_lease && put.lease != 0) return store_error(kErrLeaseProvided);
  return Ok{};
}

// etcd's checkTxnRequest and checkIntervals, for one level of operations.
Status check_ops(const std::vector<RequestOp>& ops) {
  for (const RequestOp& op : ops) {
    if (const auto* put = std::get_if<PutRequest>(&op)) {
      if (auto checked = check_put(*put); !checked) return checked;
    } else if (const auto* range = std::get_if<RangeRequest>(&op)) {
      if (range->range.key.empty()) return store_error(kErrEmptyKey);
    } else if (std::get<DeleteRangeRequest>(op).range.key.empty()) {
      return store_error(kErrEmptyKey);
    }
  }
  std::set<std::string> puts;
  for (const RequestOp& op : ops) {
    const auto* put = std::get_if<PutRequest>(&op);
    if (put == nullptr) continue;
    if (!puts.insert(put->key).second) return store_error(kErrDuplicateKey);
    for (const RequestOp& other : ops) {
      const auto* del = std::get_if<DeleteRangeRequest>(&other);
      if (del != nullptr && del->range.contains(put->key)) return store_error(kErrDuplicateKey);
    }
  }
  return Ok{};
}

}  // namespace

GrpcCode grpc_code_of(std::string_view message) {
  static constexpr std::array<std::pair<std::string_view, GrpcCode>, 6> kCodes{{
      {kErrCompacted, GrpcCode::kOutOfRange},
      {kErrFutureRev, GrpcCode::kOutOfRange},
      {kErrLeaseTtlTooLarge, GrpcCode::kOutOfRange},
      {kErrLeaseNotFound, GrpcCode::kNotFound},
      {kErrLeaseExists, GrpcCode::kFailedPrecondition},
      {kErrPastRevision, GrpcCode::kUnimplemented},
  }};
  for (const auto& [text, code] : kCodes) {
    if (message == text) return code;
  }
  return GrpcCode::kInvalidArgument;
}

bool KeyRange::contains(std::string_view k) const {
  if (single_key(*this)) return k == key;
  if (k < std::string_view(key)) return false;
  return to_the_end(*this) || k < std::string_view(range_end);
}

// The changes of one write: they all take revision `revision_`, and commit() makes that the
// store's revision only if something changed (etcd's storeTxnWrite).
class KvStore::Writer {
 public:
  explicit Writer(KvStore& store) : store_(store), revision_(store.revision_ + 1) {}

  bool changed() const { return !events_.empty(); }
  // The revision reads inside this write see: the new one once something changed.
  std::int64_t read_revision() const { return changed() ? revision_ : revision_ - 1; }

  std::int64_t put(const std::string& key, const std::string& value, std::int64_t lease) {
    Event event;
    event.type = Event::Type::kPut;
    StoredKey& kv = event.kv;
    kv.key = key;
    kv.value = value;
    kv.lease = lease;
    kv.mod_revision = revision_;
    auto found = store_.kvs_.find(key);
    if (found == store_.kvs_.end()) {
      kv.create_revision = revision_;
      kv.version = 1;
    } else {
      kv.create_revision = found->second.create_revision;
      kv.version = found->second.version + 1;
      event.prev_kv = found->second;
      detach(found->second);
    }
    if (lease != 0) store_.leases_.at(lease).keys.insert(key);
    store_.kvs_.insert_or_assign(key, kv);
    events_.push_back(std::move(event));
    return revision_;
  }

  std::int64_t delete_range(const KeyRange& range, std::vector<StoredKey>* prev_kvs) {
    auto [first, last] = bounds(store_.kvs_, range);
    std::int64_t deleted = 0;
    while (first != last) {
      Event event;
      event.type = Event::Type::kDelete;
      event.kv.key = first->first;
      event.kv.mod_revision = revision_;
      event.prev_kv = first->second;
      if (prev_kvs != nullptr) prev_kvs->push_back(first->second);
      detach(first->second);
      first = store_.kvs_.erase(first);
      events_.push_back(std::move(event));
      ++deleted;
    }
    return deleted;
  }

  // Makes the changes the store's: one revision, one history entry, one batch per watcher.
  void commit() {
    if (!changed()) return;
    store_.revision_ = revision_;
    store_.record_locked(std::move(events_));
    events_.clear();
  }

 private:
  void detach(const StoredKey& kv) {
    if (kv.lease == 0) return;
    auto lease = store_.leases_.find(kv.lease);
    if (lease != store_.leases_.end()) lease->second.keys.erase(kv.key);
  }

  KvStore& store_;
  std::int64_t revision_;
  std::vector<Event> events_;
};

KvStore::KvStore() : KvStore(Options{}) {}

KvStore::KvStore(Options options) : options_(std::move(options)), random_(std::random_device{}()) {
  if (!options_.clock) options_.clock = [] { return std::chrono::steady_clock::now(); };
}

KvStore::~KvStore() = default;

std::chrono::steady_clock::time_point KvStore::now() const { return options_.clock(); }

std::int64_t KvStore::revision() const {
  std::lock_guard lock(mutex_);
  return revision_;
}

std::int64_t KvStore::compact_revision() const {
  std::lock_guard lock(mutex_);
  return compact_revision_;
}

std::size_t KvStore::watcher_count() const {
  std::lock_guard lock(mutex_);
  return watchers_.size();
}

RangeResponse KvStore::range_locked(const RangeRequest& request, std::int64_t revision) const {
  RangeResponse response;
  response.revision = revision;
  auto [first, last] = bounds(kvs_, request.range);
  response.count = std::distance(first, last);
  if (request.count_only) return response;
  for (; first != last; ++first) {
    if (request.limit > 0 && static_cast<std::int64_t>(response.kvs.size()) == request.limit) {
      response.more = true;
      break;
    }
    response.kvs.push_back(first->second);
    if (request.keys_only) response.kvs.back().value.clear();
  }
  return response;
}

Expected<RangeResponse> KvStore::range(const RangeRequest& request) const {
  if (request.range.key.empty()) return store_error(kErrEmptyKey);
  std::lock_guard lock(mutex_);
  if (request.revision > revision_) return store_error(kErrFutureRev);
  if (request.revision != 0 && request.revision < compact_revision_) {
    return store_error(kErrCompacted);
  }
  if (request.revision != 0 && request.revision < revision_) return store_error(kErrPastRevision);
  return range_locked(request, revision_);
}

Expected<PutResponse> KvStore::put(const PutRequest& request) {
  TxnRequest txn;
  txn.success.emplace_back(request);
  auto done = this->txn(txn);
  if (!done) return done.error();
  return std::get<PutResponse>(std::move(done->responses.front()));
}

Expected<DeleteRangeResponse> KvStore::delete_range(const DeleteRangeRequest& request) {
  TxnRequest txn;
  txn.success.emplace_back(request);
  auto done = this->txn(txn);
  if (!done) return done.error();
  return std::get<DeleteRangeResponse>(std::move(done->responses.front()));
}

bool KvStore::compare_locked(const Compare& compare) const {
  auto [first, last] = bounds(kvs_, compare.range);
  const auto one = [&](const StoredKey& kv) {
    int order = 0;
    switch (compare.target) {
      case Compare::Target::kValue:
        order = kv.value.compare(compare.value);
        order = order < 0 ? -1 : (order > 0 ? 1 : 0);
        break;
      case Compare::Target::kCreate:
        order = compare_int64(kv.create_revision, compare.number);
        break;
      case Compare::Target::kMod:
        order = compare_int64(kv.mod_revision, compare.number);
        break;
      case Compare::Target::kVersion:
        order = compare_int64(kv.version, compare.number);
        break;
      case Compare::Target::kLease:
        order = compare_int64(kv.lease, compare.number);
        break;
    }
    switch (compare.result) {
      case Compare::Result::kEqual:
        return order == 0;
      case Compare::Result::kNotEqual:
        return order != 0;
      case Compare::Result::kGreater:
        return order > 0;
      case Compare::Result::kLess:
        return order < 0;
    }
    return true;
  };
  if (first == last) {
    // A missing key has no value to compare; its revisions, version and lease are 0.
    if (compare.target == Compare::Target::kValue) return false;
    return one(StoredKey{});
  }
  return std::all_of(first, last, [&](const auto& entry) { return one(entry.second); });
}

Expected<TxnResponse> KvStore::txn(const TxnRequest& request) {
  const std::size_t ops =
      std::max({request.compare.size(), request.success.size(), request.failure.size()});
  if (ops > kMaxTxnOps) return store_error(kErrTooManyOps);
  for (const Compare& compare : request.compare) {
    if (compare.range.key.empty()) return store_error(kErrEmptyKey);
  }
  if (auto checked = check_ops(request.success); !checked) return checked.error();
  if (auto checked = check_ops(request.failure); !checked) return checked.error();

  std::lock_guard lock(mutex_);
  TxnResponse response;
  response.succeeded = std::all_of(request.compare.begin(), request.compare.end(),
                                   [&](const Compare& c) { return compare_locked(c); });
  const std::vector<RequestOp>& chosen = response.succeeded ? request.success : request.failure;
  // What etcd checks before it applies anything, so that a refused txn changes nothing.
  for (const RequestOp& op : chosen) {
    if (const auto* put = std::get_if<PutRequest>(&op)) {
      if ((put->ignore_value || put->ignore_lease) && !kvs_.contains(put->key)) {
        return store_error(kErrKeyNotFound);
      }
      if (put->lease != 0 && !leases_.contains(put->lease)) return store_error(kErrLeaseNotFound);
    } else if (const auto* range = std::get_if<RangeRequest>(&op)) {
      if (range->revision > revision_) return store_error(kErrFutureRev);
      if (range->revision != 0 && range->revision < compact_revision_) {
        return store_error(kErrCompacted);
      }
      if (range->revision != 0 && range->revision < revision_) {
        return store_error(kErrPastRevision);
      }
    }
  }

  Writer writer(*this);
  for (const RequestOp& op : chosen) {
    if (const auto* put = std::get_if<PutRequest>(&op)) {
      PutResponse done;
      const auto existing = kvs_.find(put->key);
      if (put->prev_kv && existing != kvs_.end()) done.prev_kv = existing->second;
      const std::string& value = put->ignore_value ? existing->second.value : put->value;
      const std::int64_t lease = put->ignore_lease ? existing->second.lease : put->lease;
      done.revision = writer.put(put->key, std::string(value), lease);
      response.responses.emplace_back(std::move(done));
    } else if (const auto* range = std::get_if<RangeRequest>(&op)) {
      response.responses.emplace_back(range_locked(*range, writer.read_revision()));
    } else {
      const auto& del = std::get<DeleteRangeRequest>(op);
      DeleteRangeResponse done;
      done.deleted = writer.delete_range(del.range, del.prev_kv ? &done.prev_kvs : nullptr);
      done.revision = writer.read_revision();
      response.responses.emplace_back(std::move(done));
    }
  }
  writer.commit();
  response.revision = revision_;
  return response;
}

Expected<LeaseGrantResponse> KvStore::lease_grant(std::int64_t ttl, std::int64_t id) {
  if (ttl > kMaxLeaseTtl) return store_error(kErrLeaseTtlTooLarge);
  std::lock_guard lock(mutex_);
  if (id == 0) {
    // Positive, as etcd's are: clients print and parse them as signed decimals.
    std::uniform_int_distribution<std::int64_t> pick(1, INT64_MAX);
    do {
      id = pick(random_);
    } while (leases_.contains(id));
  } else if (leases_.contains(id)) {
    return store_error(kErrLeaseExists);
  }
  Lease lease;
  lease.id = id;
  lease.ttl = std::max(ttl, kMinLeaseTtl);
  lease.expiry = now() + std::chrono::seconds(lease.ttl);
  const std::int64_t granted = lease.ttl;
  leases_.emplace(id, std::move(lease));
  return LeaseGrantResponse{revision_, id, granted};
}

LeaseKeepAliveResponse KvStore::lease_keepalive(std::int64_t id) {
  std::lock_guard lock(mutex_);
  LeaseKeepAliveResponse response{revision_, id, 0};
  auto lease = leases_.find(id);
  const auto at = now();
  if (lease == leases_.end() || lease->second.expiry <= at) return response;
  lease->second.expiry = at + std::chrono::seconds(lease->second.ttl);
  response.ttl = lease->second.ttl;
  return response;
}

std::int64_t KvStore::revoke_locked(std::map<std::int64_t, Lease>::iterator lease) {
  Writer writer(*this);
  // A copy: deleting a key detaches it from the lease's set. std::set is in key order, the
  // order etcd deletes in.
  const std::set<std::string> keys = lease->second.keys;
  for (const std::string& key : keys) writer.delete_range(KeyRange{key, {}}, nullptr);
  leases_.erase(lease);
  writer.commit();
  return revision_;
}

Expected<std::int64_t> KvStore::lease_revoke(std::int64_t id) {
  std::lock_guard lock(mutex_);
  auto lease = leases_.find(id);
  if (lease == leases_.end()) return store_error(kErrLeaseNotFound);
  return revoke_locked(lease);
}

LeaseTimeToLiveResponse KvStore::lease_time_to_live(std::int64_t id, bool keys) const {
  std::lock_guard lock(mutex_);
  LeaseTimeToLiveResponse response;
  response.revision = revision_;
  response.id = id;
  auto lease = leases_.find(id);
  if (lease == leases_.end()) {
    response.ttl = -1;
    return response;
  }
  // Truncated toward zero, as Go's int64(Duration.Seconds()).
  response.ttl =
      std::chrono::duration_cast<std::chrono::seconds>(lease->second.expiry - now()).count();
  response.granted_ttl = lease->second.ttl;
  if (keys) response.keys.assign(lease->second.keys.begin(), lease->second.keys.end());
  return response;
}

std::size_t KvStore::expire_due_leases() {
  std::lock_guard lock(mutex_);
  const auto at = now();
  std::size_t expired = 0;
  for (auto lease = leases_.begin(); lease != leases_.end();) {
    auto next = std::next(lease);
    if (lease->second.expiry <= at) {
      revoke_locked(lease);  // each its own revision, as etcd revokes each by its own request
      ++expired;
    }
    lease = next;
  }
  return expired;
}

std::optional<std::chrono::steady_clock::time_point> KvStore::next_expiry() const {
  std::lock_guard lock(mutex_);
  std::optional<std::chrono::steady_clock::time_point> next;
  for (const auto& [id, lease] : leases_) {
    if (!next || lease.expiry < *next) next = lease.expiry;
  }
  return next;
}

Expected<std::int64_t> KvStore::compact(std::int64_t revision) {
  std::lock_guard lock(mutex_);
  if (revision <= last_compaction_) return store_error(kErrCompacted);
  if (revision > revision_) return store_error(kErrFutureRev);
  last_compaction_ = revision;
  while (!history_.empty() && history_.front().kv.mod_revision < revision) history_.pop_front();
  compact_revision_ = std::max(compact_revision_, revision);
  return revision_;
}

void KvStore::record_locked(std::vector<Event> events) {
  for (const Event& event : events) history_.push_back(event);
  // Drop whole revisions from the front: a replay never starts in the middle of one.
  while (history_.size() > options_.history_events) {
    const std::int64_t oldest = history_.front().kv.mod_revision;
    while (!history_.empty() && history_.front().kv.mod_revision == oldest) history_.pop_front();
    compact_revision_ = std::max(compact_revision_, oldest + 1);
  }
  for (auto& [id, watcher] : watchers_) {
    WatchBatch batch;
    batch.revision = revision_;
    for (const Event& event : events) {
      if (!watcher.range.contains(event.kv.key)) continue;
      batch.events.push_back(event);
      if (!watcher.prev_kv) batch.events.back().prev_kv.reset();
    }
    if (!batch.events.empty()) watcher.on_batch(std::move(batch));
  }
}

std::unique_ptr<KvStore::Watch> KvStore::watch(KeyRange range, std::int64_t start_revision,
                                               bool prev_kv, WatchCallback on_batch) {
  if (range.key.empty()) range.key.assign(1, '\0');  // the smallest key, as etcd's watch has it
  std::lock_guard lock(mutex_);
  const std::int64_t start = start_revision == 0 ? revision_ + 1 : start_revision;
  if (start < compact_revision_) {
    WatchBatch batch;
    batch.compact_revision = compact_revision_;
    on_batch(std::move(batch));
    return std::make_unique<Watch>(*this, 0);
  }
  WatchBatch replay;
  replay.revision = revision_;
  for (const Event& event : history_) {
    if (event.kv.mod_revision < start || !range.contains(event.kv.key)) continue;
    replay.events.push_back(event);
    if (!prev_kv) replay.events.back().prev_kv.reset();
  }
  if (!replay.events.empty()) on_batch(std::move(replay));
  const std::uint64_t id = next_watcher_++;
  watchers_.emplace(id, Watcher{std::move(range), prev_kv, std::move(on_batch)});
  return std::make_unique<Watch>(*this, id);
}

void KvStore::unwatch(std::uint64_t id) {
  if (id == 0) return;
  std::lock_guard lock(mutex_);
  watchers_.erase(id);
}

}  // namespace lunatic::cluster
