// Cluster membership kept in etcd (docs/architecture.md, "Cluster membership"). A member is a
// key on a lease it keeps alive; every member watches the others' keys.
//
// Keys under the cluster prefix P (default "lunatic"):
//   P/next_node_id   a counter; a joining node takes the next value as its id (from 1, never
//                    reused, at most kMaxNodeId)
//   P/nodes/<id>     the node's record (node_record.hpp), on its lease
//   P/names/<name>   the id of the node holding the name, on the same lease
//   P/processes/<n>  a process name every node sees (global_names.hpp), on its node's lease
//
// A node that restarts under its old name gets a new id and evicts the older holder of the
// name: it revokes that holder's lease, so the old incarnation's keys vanish at once and every
// member sees it leave, rather than after its TTL. The reverse never happens: a node that finds
// its name held by a newer id gives up (join fails; a rejoin stops, see on_status).
//
// Threads: join() starts two threads of the Membership's own. The keepalive thread renews the
// lease every ttl/3 and, when the store says the lease is gone (this node was presumed dead),
// registers again under the same id and name. The watch thread keeps the snapshot of the
// members and calls the listeners. When the store cannot be reached both keep the last
// snapshot and retry with a backoff of at most one second. Every public method is thread-safe,
// except that listeners and on_status must not call subscribe, leave or abandon.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "cluster/node_record.hpp"
#include "cluster/node_tags.hpp"
#include "cluster/store_client.hpp"
#include "common/error.hpp"

namespace lunatic::cluster {

struct MembershipOptions {
  std::string cluster = "lunatic";  // the key prefix; clusters with other prefixes never meet
  std::string name;                 // required, unique in the cluster (see eviction above)
  std::string address;              // host:port of this node's transport
  NodeTags tags;
  // How long the store keeps this node after its last keepalive: the time until the others
  // see a crashed node leave. Whole seconds, at least one (etcd's unit).
  std::chrono::seconds ttl{3};
  // What the node does on its own: lost and regained contact with the store, lease lost,
  // rejoined, superseded. Called on either membership thread, so possibly from two at once,
  // and from join() itself; may be empty.
  std::function<void(std::string_view)> on_status;
  // Called on the keepalive thread once this node has registered again after its lease ended
  // behind its back, with its new incarnation (self().incarnation). The others have seen the old
  // one leave: whatever it had with them is over. May be empty; must not block.
  std::function<void(std::int64_t incarnation)> on_rejoined;
};

class Membership {
 public:
  // joined is true for a node that appeared (or came back as a new incarnation) and false for
  // one that left or was presumed dead.
  using Listener = std::function<void(const NodeRecord& node, bool joined)>;

  // Takes an id, registers the node and reads the current members; fails (and leaves nothing
  // behind but a used id) when the store cannot be reached or the name is held by a newer node.
  static Expected<std::unique_ptr<Membership>> join(const StoreClient& store,
                                                    MembershipOptions options);
  ~Membership();  // leave()
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  std::uint64_t id() const { return id_; }
  // The lease this node's keys sit on now (a new one after a rejoin); 0 while unregistered.
  LeaseId lease() const;
  const StoreClient& store() const { return store_; }
  const std::string& cluster() const { return options_.cluster; }
  NodeRecord self() const;
  // The members as last seen in the store, this node included once it has seen its own key.
  std::vector<NodeRecord> nodes() const;
  std::optional<NodeRecord> node(std::uint64_t id) const;

  // Calls `listener` at once, on this thread, with every current member (joined = true), then
  // on the watch thread with every later change, one call at a time. A listener stays until the
  // Membership is destroyed: whatever it refers to must outlive the Membership (or leave()).
  void subscribe(Listener listener);

  // Sets this node's transport address and writes its record again, for a node that learns
  // where it listens only after it has its id (the transport needs the id to start). The
  // others are told of it as of a join (joined = true, the same incarnation).
  Status publish_address(std::string address);

  // Revokes the lease, so the others see this node leave at once, and stops both threads.
  // Idempotent; returns within about the store's request timeout even if the store is down.
  void leave();
  // Stops both threads without revoking the lease: the others see this node leave only when
  // its lease expires, as if it had crashed. For tests, and for a process about to die.
  void abandon();

 private:
  struct Notice {
    NodeRecord node;
    bool joined;
  };
  enum class Claim { kClaimed, kSuperseded };

  Membership(StoreClient store, MembershipOptions options, std::uint64_t id);
  std::string node_key(std::uint64_t id) const;
  std::string nodes_prefix() const;
  std::string name_key() const;

  // Grants a lease and writes this node's keys on it; on failure nothing stays behind.
  Expected<Claim> register_self();
  Expected<Claim> claim_name(LeaseId lease);
  void stop(bool revoke);
  void keepalive_loop();
  void watch_loop(std::int64_t revision);
  // Replaces the snapshot with a fresh range and returns its revision.
  Expected<std::int64_t> reload();
  // Under mutex_: updates the snapshot, collecting notices and the keys of damaged records
  // (reported once the lock is released, so on_status may read the snapshot).
  void apply(const std::vector<WatchEvent>& events, std::vector<Notice>& notices,
             std::vector<std::string>& damaged);
  void report_damaged(const std::vector<std::string>& keys) const;
  void deliver(const std::vector<Notice>& notices);
  void status(const std::string& text) const;
  // Sleeps for `delay` unless stopped first; returns whether stopped.
  bool wait_or_stop(std::chrono::milliseconds delay);

  const StoreClient store_;
  const MembershipOptions options_;
  const std::uint64_t id_;

  mutable std::mutex mutex_;  // guards everything below but the threads and listeners
  std::condition_variable wake_;
  bool stopping_ = false;
  LeaseId lease_ = 0;  // 0 while unregistered
  NodeRecord self_;
  std::map<std::uint64_t, NodeRecord> members_;

  std::mutex notify_mutex_;  // held while listeners run and while subscribe replays
  std::vector<Listener> listeners_;

  std::mutex stop_mutex_;  // held through leave and abandon: a second caller waits for the first
  bool stopped_ = false;   // guarded by stop_mutex_
  WatchStop watch_stop_;
  std::thread keepalive_thread_;
  std::thread watch_thread_;
};

}  // namespace lunatic::cluster
