#include "cluster/membership.hpp"

#include <algorithm>
#include <charconv>

#include "cluster/process_id.hpp"

namespace lunatic::cluster {
namespace {

constexpr std::chrono::milliseconds kFirstBackoff{100};
constexpr std::chrono::milliseconds kMaxBackoff{1000};
constexpr int kNameAttempts = 5;  // evicting an older holder, then claiming; races are rare

std::chrono::milliseconds doubled(std::chrono::milliseconds backoff) {
  return std::min(backoff * 2, kMaxBackoff);
}

// The id in a decimal text ("17"), or nothing for anything else.
std::optional<std::uint64_t> parse_id(std::string_view text) {
  std::uint64_t id = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return id;
}

}  // namespace

Expected<std::unique_ptr<Membership>> Membership::join(const StoreClient& store,
                                                       MembershipOptions options) {
  if (options.cluster.empty() || options.name.empty()) {
    return make_error(Errc::kInvalidArgument, "a member needs a cluster prefix and a name");
  }
  if (options.ttl.count() < 1) {
    return make_error(Errc::kInvalidArgument, "a member's TTL is at least one second");
  }
  const std::string context =
      "joining cluster \"" + options.cluster + "\" as \"" + options.name + "\": ";
  auto id = store.allocate_counter(options.cluster + "/next_node_id");
  if (!id) return make_error(id.error().code, context + id.error().message);
  if (*id > kMaxNodeId) {
    return make_error(Errc::kLimitReached, context + "node ids are used up (the counter " +
                                               options.cluster + "/next_node_id is past " +
                                               std::to_string(kMaxNodeId) + ")");
  }
  // From here the destructor cleans up: it revokes whatever lease was granted.
  std::unique_ptr<Membership> member(new Membership(store, std::move(options), *id));
  auto claim = member->register_self();
  if (!claim) return make_error(claim.error().code, context + claim.error().message);
  if (*claim == Claim::kSuperseded) {
    return make_error(Errc::kInvalidArgument,
                      context + "the name is held by a node that joined later");
  }
  auto revision = member->reload();
  if (!revision) return make_error(revision.error().code, context + revision.error().message);
  member->keepalive_thread_ = std::thread(&Membership::keepalive_loop, member.get());
  member->watch_thread_ = std::thread(&Membership::watch_loop, member.get(), *revision);
  return member;
}

Membership::Membership(StoreClient store, MembershipOptions options, std::uint64_t id)
    : store_(std::move(store)), options_(std::move(options)), id_(id) {
  self_.id = id_;
  self_.name = options_.name;
  self_.address = options_.address;
  self_.tags = options_.tags;
}

Membership::~Membership() { leave(); }

std::string Membership::nodes_prefix() const { return options_.cluster + "/nodes/"; }
std::string Membership::node_key(std::uint64_t id) const {
  return nodes_prefix() + std::to_string(id);
}
std::string Membership::name_key() const { return options_.cluster + "/names/" + options_.name; }

LeaseId Membership::lease() const {
  std::lock_guard lock(mutex_);
  return lease_;
}

NodeRecord Membership::self() const {
  std::lock_guard lock(mutex_);
  return self_;
}

std::vector<NodeRecord> Membership::nodes() const {
  std::lock_guard lock(mutex_);
  std::vector<NodeRecord> out;
  out.reserve(members_.size());
  for (const auto& [id, record] : members_) out.push_back(record);
  return out;
}

std::optional<NodeRecord> Membership::node(std::uint64_t id) const {
  std::lock_guard lock(mutex_);
  const auto it = members_.find(id);
  if (it == members_.end()) return std::nullopt;
  return it->second;
}

void Membership::subscribe(Listener listener) {
  std::lock_guard notify(notify_mutex_);
  for (const NodeRecord& record : nodes()) listener(record, true);
  listeners_.push_back(std::move(listener));
}

Status Membership::publish_address(std::string address) {
  NodeRecord record;
  LeaseId lease = 0;
  {
    std::lock_guard lock(mutex_);
    self_.address = std::move(address);
    record = self_;
    lease = lease_;
  }
  if (lease == 0) return make_error(Errc::kInvalidArgument, "the node is not registered");
  auto put = store_.put(node_key(id_), encode_node_record(record), lease);
  if (!put) return put.error();
  return Ok{};
}

void Membership::leave() { stop(true); }
void Membership::abandon() { stop(false); }

void Membership::stop(bool revoke) {
  std::lock_guard stop_lock(stop_mutex_);
  if (stopped_) return;
  stopped_ = true;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  watch_stop_.request_stop();
  if (keepalive_thread_.joinable()) keepalive_thread_.join();
  if (watch_thread_.joinable()) watch_thread_.join();
  LeaseId lease = 0;
  {
    std::lock_guard lock(mutex_);
    std::swap(lease, lease_);
  }
  if (revoke && lease != 0) {
    if (auto revoked = store_.revoke(lease); !revoked) {
      status("could not revoke the lease (the others see this node leave when it expires): " +
             revoked.error().message);
    }
  }
}

Expected<Membership::Claim> Membership::register_self() {
  auto lease = store_.grant_lease(options_.ttl);
  if (!lease) return lease.error();
  // The name first: a node that turns out to be superseded never appears as a member.
  auto claim = claim_name(*lease);
  Expected<std::int64_t> revision = std::int64_t{0};
  if (claim && *claim == Claim::kClaimed) {
    NodeRecord record;
    {
      std::lock_guard lock(mutex_);
      record = self_;
    }
    revision = store_.put(node_key(id_), encode_node_record(record), *lease);
  }
  if (!claim || *claim == Claim::kSuperseded || !revision) {
    (void)store_.revoke(*lease);  // best effort: otherwise its keys go when it expires
    if (!revision) return revision.error();
    return claim;
  }
  std::lock_guard lock(mutex_);
  lease_ = *lease;
  self_.incarnation = *revision;
  return Claim::kClaimed;
}

Expected<Membership::Claim> Membership::claim_name(LeaseId lease) {
  const std::string key = name_key();
  const std::string mine = std::to_string(id_);
  for (int attempt = 0; attempt < kNameAttempts; ++attempt) {
    auto result = store_.create_if_absent(key, mine, lease);
    if (!result) return result.error();
    if (result->created) return Claim::kClaimed;
    const KeyValue& held = result->current;
    const std::uint64_t holder = parse_id(held.value).value_or(0);
    if (holder == id_) {
      // Our own earlier incarnation's claim, still on an older lease: move it to this one.
      if (auto put = store_.put(key, mine, lease); !put) return put.error();
      return Claim::kClaimed;
    }
    if (holder > id_) return Claim::kSuperseded;
    // An older node under this name: the same node restarted, or a stale claim. Ending its
    // lease removes all its keys now, so everyone sees the old incarnation leave at once.
    status("evicting node " + held.value + ", an older holder of the name \"" + options_.name +
           "\"");
    Status evicted = Ok{};
    if (held.lease != 0) {
      evicted = store_.revoke(held.lease);
    } else if (auto deleted = store_.delete_key(key); !deleted) {
      evicted = deleted.error();
    }
    if (!evicted) return evicted.error();
  }
  return make_error(Errc::kLimitReached, "the name \"" + options_.name +
                                             "\" stayed contended for " +
                                             std::to_string(kNameAttempts) + " attempts");
}

void Membership::keepalive_loop() {
  const auto interval = std::max<std::chrono::milliseconds>(
      std::chrono::duration_cast<std::chrono::milliseconds>(options_.ttl) / 3, kFirstBackoff);
  auto delay = interval;
  auto backoff = kFirstBackoff;
  bool unreachable = false;
  while (!wait_or_stop(delay)) {
    LeaseId lease = 0;
    {
      std::lock_guard lock(mutex_);
      lease = lease_;
    }
    if (lease == 0) {
      auto claim = register_self();
      if (!claim) {
        status("rejoining failed, retrying: " + claim.error().message);
        delay = backoff;
        backoff = doubled(backoff);
        continue;
      }
      if (*claim == Claim::kSuperseded) {
        status("not rejoining: a node that joined later holds the name \"" + options_.name + "\"");
        return;
      }
      status("rejoined as node " + std::to_string(id_));
      if (options_.on_rejoined) options_.on_rejoined(self().incarnation);
      delay = interval;
      backoff = kFirstBackoff;
      continue;
    }
    auto remaining = store_.keep_alive(lease);
    if (!remaining) {
      if (!unreachable)
        status("lost contact with the store, retrying: " + remaining.error().message);
      unreachable = true;
      delay = backoff;
      backoff = doubled(backoff);
      continue;
    }
    if (unreachable) status("the store answers again");
    unreachable = false;
    backoff = kFirstBackoff;
    delay = interval;
    if (*remaining == 0) {
      // The store let the lease expire: the others have seen this node leave. Come back under
      // the same id and name (a new incarnation).
      status("the lease expired; rejoining");
      std::lock_guard lock(mutex_);
      lease_ = 0;
      delay = std::chrono::milliseconds(0);
    }
  }
}

void Membership::watch_loop(std::int64_t revision) {
  std::int64_t next = revision + 1;
  bool current = true;  // the snapshot is complete up to next - 1
  bool unreachable = false;
  auto backoff = kFirstBackoff;
  const std::string prefix = nodes_prefix();
  auto on_events = [&](const std::vector<WatchEvent>& events) {
    std::vector<Notice> notices;
    std::vector<std::string> damaged;
    std::lock_guard notify(notify_mutex_);
    {
      std::lock_guard lock(mutex_);
      apply(events, notices, damaged);
    }
    report_damaged(damaged);
    deliver(notices);
    next = events.back().kv.mod_revision + 1;
  };
  for (;;) {
    if (!current) {
      auto reloaded = reload();
      if (!reloaded) {
        if (!unreachable) status("cannot read the members, retrying: " + reloaded.error().message);
        unreachable = true;
        if (wait_or_stop(backoff)) return;
        backoff = doubled(backoff);
        continue;
      }
      unreachable = false;
      backoff = kFirstBackoff;
      next = *reloaded + 1;
      current = true;
    }
    if (store_.watch_prefix(prefix, next, on_events, watch_stop_)) return;  // stopped
    // The stream broke, went idle or was compacted: read everything again, then watch on.
    current = false;
    if (wait_or_stop(kFirstBackoff)) return;
  }
}

Expected<std::int64_t> Membership::reload() {
  auto range = store_.range_prefix(nodes_prefix());
  if (!range) return range.error();
  std::vector<WatchEvent> puts;
  puts.reserve(range->kvs.size());
  for (KeyValue& kv : range->kvs) puts.push_back(WatchEvent{WatchEvent::Type::kPut, std::move(kv)});
  std::vector<Notice> notices;
  std::vector<std::string> damaged;
  std::lock_guard notify(notify_mutex_);
  {
    std::lock_guard lock(mutex_);
    // Whoever is not in the range has left; the rest arrive as puts.
    std::map<std::uint64_t, NodeRecord> before;
    before.swap(members_);
    for (const WatchEvent& put : puts) {
      const auto id = parse_id(std::string_view(put.kv.key).substr(nodes_prefix().size()));
      const auto it = id ? before.find(*id) : before.end();
      if (it != before.end()) members_.insert(before.extract(it));
    }
    for (const auto& [id, record] : before) notices.push_back(Notice{record, false});
    apply(puts, notices, damaged);
  }
  report_damaged(damaged);
  deliver(notices);
  return range->revision;
}

void Membership::apply(const std::vector<WatchEvent>& events, std::vector<Notice>& notices,
                       std::vector<std::string>& damaged) {
  const std::string prefix = nodes_prefix();
  for (const WatchEvent& event : events) {
    const std::string_view key(event.kv.key);
    const auto id = key.starts_with(prefix) ? parse_id(key.substr(prefix.size())) : std::nullopt;
    if (!id) continue;  // not a node key: nothing of ours
    const auto it = members_.find(*id);
    if (event.type == WatchEvent::Type::kDelete) {
      if (it == members_.end()) continue;
      notices.push_back(Notice{it->second, false});
      members_.erase(it);
      continue;
    }
    auto record = decode_node_record(event.kv.value);
    if (!record || record->id != *id) {
      damaged.push_back(event.kv.key);
      continue;
    }
    record->incarnation = event.kv.create_revision;
    if (it != members_.end()) {
      if (it->second.incarnation == record->incarnation) {
        // Rewritten in place, the same incarnation: news only when its address changed (a
        // node publishes where it listens after it has joined).
        const bool moved = it->second.address != record->address;
        it->second = std::move(record).value();
        if (moved) notices.push_back(Notice{it->second, true});
        continue;
      }
      notices.push_back(Notice{it->second, false});  // we missed its leaving
    }
    notices.push_back(Notice{*record, true});
    members_.insert_or_assign(*id, std::move(record).value());
  }
}

void Membership::deliver(const std::vector<Notice>& notices) {
  for (const Notice& notice : notices) {
    for (const Listener& listener : listeners_) listener(notice.node, notice.joined);
  }
}

void Membership::report_damaged(const std::vector<std::string>& keys) const {
  for (const std::string& key : keys) status("ignoring a damaged node record at " + key);
}

void Membership::status(const std::string& text) const {
  if (options_.on_status) {
    options_.on_status("node " + std::to_string(id_) + " (\"" + options_.name + "\"): " + text);
  }
}

bool Membership::wait_or_stop(std::chrono::milliseconds delay) {
  std::unique_lock lock(mutex_);
  return wake_.wait_for(lock, delay, [this] { return stopping_; });
}

}  // namespace lunatic::cluster
