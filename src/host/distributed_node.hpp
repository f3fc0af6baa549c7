// The host's side of a cluster node: lunatic::distributed (and sends, spawns and kills that
// name a process of another node) over cluster::Cluster, and what other nodes ask of this
// one: deliver their messages, run their spawns, kill their targets.
//
// Remote spawn ships the module's wasm bytes once per node (by content hash); the receiving
// node compiles them with its own compiler and artifact cache. A spawn waits for its reply as
// any blocking call does (the process parks, the worker runs others). Sends are not
// acknowledged: a message to a process that does not exist is reported back, and later sends
// to that id fail at once with "no such process".
// Thread: every public method may be called from any worker; records arrive on the cluster's
// thread. A spawn asked by another node runs there when its module is compiled here already,
// otherwise on a thread of this class's own (compiling may take seconds).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "cluster/cluster.hpp"
#include "common/error.hpp"
#include "host/code_upgrade.hpp"
#include "host/environment.hpp"
#include "host/global_registry.hpp"
#include "host/job_thread.hpp"
#include "runtime/remote_peers.hpp"
#include "wasi/wasi_config.hpp"

namespace lunatic::runtime {
class Blocking;
class Process;
struct Message;
enum class DeathReason : std::uint8_t;
}  // namespace lunatic::runtime

namespace lunatic::host {

struct DistributedOptions {
  // Directories a process spawned here by another node may be given, by guest name.
  std::vector<wasi::Preopen> grants;
  // How long a remote spawn waits for its reply before it fails as a connection error.
  std::chrono::milliseconds spawn_timeout{30'000};
  // How long it waits for a connection to the node to come up (the transport keeps trying;
  // a node that refuses or cannot be reached fails the spawn after this, with the reason).
  std::chrono::milliseconds connect_timeout{5'000};
};

// What one other node answered to an upgrade rolled out to it.
struct NodeUpgrade {
  std::uint64_t node = 0;
  bool answered = false;  // false: no answer by the deadline (or no connection)
  cluster::UpgradeReply reply;
};

struct RemoteSpawn {
  std::uint32_t code = 0;  // ReturnCode: kOk, kSpawnNoSuchNode, kSpawnNoSuchModule, ...
  std::uint64_t process = 0;
  std::string error;  // why, when code is not kOk
};

class DistributedNode final : public cluster::RecordHandler, public runtime::RemotePeers {
 public:
  DistributedNode(Environment& environment, cluster::Cluster& cluster, DistributedOptions options);
  ~DistributedNode() override;
  DistributedNode(const DistributedNode&) = delete;
  DistributedNode& operator=(const DistributedNode&) = delete;

  std::uint64_t node_id() const { return cluster_.node_id(); }
  std::vector<cluster::NodeInfo> nodes() const { return cluster_.nodes(); }
  // A member with an address, or a node connected to this one: the membership lags, so a node
  // that just joined can dial in and send before it shows it here, and the reply must not fail.
  bool has_node(std::uint64_t id) const {
    return cluster_.node(id).has_value() || cluster_.connected(id);
  }
  // What went to and came from each other node (for metrics).
  std::vector<cluster::PeerTraffic> traffic() const { return cluster_.traffic(); }
  // Whether a process id names another node than this one.
  bool is_remote(std::uint64_t process_id) const override;
  // For another node's process: its node is a member, and it was not reported gone.
  bool may_exist(std::uint64_t process_id);

  // Sends a data message (it must carry no resources) to a process of another node. Returns
  // kOk once queued, kNoSuchNode, kNoSuchProcess (that id was reported gone) or
  // kConnectionError (the node's queue is full).
  std::uint32_t send(std::uint64_t node, std::uint64_t sender, std::uint64_t receiver,
                     const runtime::Message& message);
  // Spawns on another node, waiting in `waiter` for the reply.
  RemoteSpawn spawn(std::uint64_t node, const SpawnRequest& request, runtime::Blocking& waiter);
  void kill(std::uint64_t process_id);
  // The names every node of the cluster sees.
  GlobalRegistry& global_registry() { return global_registry_; }

  // Rolls a hot code upgrade out to every other node of the cluster: each moves its processes
  // of the module `from_hash` to `to` (shipped to nodes that lack it, compiled there), as
  // upgrade_processes does here with `options`, giving them `timeout` once it has the module,
  // and answers. Waits on the calling thread, which must not be a worker, until every node has
  // answered or the timeout and time for a compile have passed.
  std::vector<NodeUpgrade> upgrade_other_nodes(const std::string& from_hash,
                                               const Environment::ModuleSource& to,
                                               const UpgradeOptions& options,
                                               std::chrono::milliseconds timeout);

  // Links and monitors between `local` (a process of this node) and `remote` (another node's).
  // A link to a process that does not exist, or on a node that is not a member, fires at once;
  // so does a monitor. When the remote node goes down, every link to a process there fires
  // (DeathReason::kNodeDown) and every monitor reports it died.
  void link(runtime::Process& local, std::uint64_t remote, std::int64_t tag);
  void unlink(runtime::Process& local, std::uint64_t remote);
  void monitor(runtime::Process& local, std::uint64_t remote);
  void stop_monitoring(runtime::Process& local, std::uint64_t remote);

  // runtime::RemotePeers: a local process died with links or monitors on other nodes.
  void link_died(std::uint64_t peer, std::uint64_t died, std::int64_t tag,
                 runtime::DeathReason reason) override;
  void monitored_died(std::uint64_t watcher, std::uint64_t died) override;

  void on_record(std::uint64_t from_node, cluster::Channel channel,
                 std::span<const std::uint8_t> record) override;
  void on_node_down(std::uint64_t node) override;
  void on_connection_failed(std::uint64_t node, const std::string& reason) override;

 private:
  struct PendingSpawn;
  struct ReceivedModule {
    std::string wasm;
    std::shared_ptr<const engine::Module> compiled;  // made by the first spawn that needs it
  };

  // What links and monitors this node's processes have with each remote node's, so that a
  // node going down fires them. Keyed by (local process, remote process).
  struct RemoteEnds {
    std::map<std::pair<std::uint64_t, std::uint64_t>, std::int64_t> links;  // -> tag
    std::set<std::pair<std::uint64_t, std::uint64_t>> monitoring;           // local watches remote
    std::set<std::pair<std::uint64_t, std::uint64_t>> watched;              // remote watches local
  };

  void deliver(cluster::RemoteMessage message, std::uint64_t from_node);
  void on_signal(const cluster::Signal& signal, std::uint64_t from_node);
  void send_signal(cluster::Signal signal);
  void complete(const cluster::SpawnReply& reply);
  // Whether the module with this hash has been compiled here.
  bool compiled(const std::string& module_hash);
  // The module another node shipped with this hash, compiled here on first use. Errors: no
  // such module (kInvalidArgument), or it does not load.
  Expected<std::shared_ptr<const engine::Module>> received_module(const std::string& hash);
  void run_upgrade(std::uint64_t from_node, const cluster::UpgradeRequest& request);
  // Ships a module's bytes to `node` unless it has them; false when the send failed.
  bool ship(std::uint64_t node, const Environment::ModuleSource& module);
  void reply_to_spawn(std::uint64_t from_node, const cluster::SpawnRequest& request);
  cluster::SpawnReply run_spawn(const cluster::SpawnRequest& request);
  void remember_gone(std::uint64_t process_id);

  Environment& environment_;
  cluster::Cluster& cluster_;
  const DistributedOptions options_;

  std::mutex mutex_;
  std::uint64_t next_request_ = 1;
  std::unordered_map<std::uint64_t, std::shared_ptr<PendingSpawn>> pending_;
  std::map<std::uint64_t, std::set<std::string>> shipped_;     // node -> module hashes it has
  std::map<std::uint64_t, std::string> connection_failures_;   // node -> why, the latest
  std::unordered_map<std::uint64_t, RemoteEnds> remote_ends_;  // by remote node
  GlobalRegistry global_registry_{&cluster_};
  std::unordered_map<std::string, ReceivedModule> received_;
  // Ids reported gone, oldest first, bounded: later sends to them fail at once.
  std::unordered_set<std::uint64_t> gone_;
  std::list<std::uint64_t> gone_order_;

  // Upgrades this node was asked for and has not answered, by request number.
  std::condition_variable upgrade_answered_;  // with mutex_
  std::map<std::uint64_t, std::optional<cluster::UpgradeReply>> upgrade_replies_;

  // Last: the jobs may use everything above until they are stopped.
  std::unique_ptr<JobThread> spawns_;    // spawns of modules not compiled here yet
  std::unique_ptr<JobThread> upgrades_;  // upgrades other nodes ask for
};

}  // namespace lunatic::host
