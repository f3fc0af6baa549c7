// What the layers above see of a node's cluster: who is a member, and a way to send records
// to another node's runtime. The host's lunatic::distributed is written against this;
// cluster/cluster_node.hpp is the implementation (membership + transport).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "cluster/node_protocol.hpp"
#include "cluster/node_tags.hpp"
#include "common/error.hpp"

namespace lunatic::cluster {

struct NodeInfo {
  std::uint64_t id = 0;
  std::string name;
  std::string address;  // host:port of its transport
  NodeTags tags;
};

// What went to and came from one other node over the transport since start (records of every
// channel: messages, spawns, signals), for metrics.
struct PeerTraffic {
  std::uint64_t peer = 0;
  std::uint64_t records_sent = 0;
  std::uint64_t bytes_sent = 0;
  std::uint64_t records_received = 0;
  std::uint64_t bytes_received = 0;
  // Pings answered, and their round trips (the transport pings each peer every ping_interval).
  std::uint64_t round_trips = 0;
  std::uint64_t round_trip_ns_sum = 0;
  std::uint64_t last_round_trip_ns = 0;
};

// Told what arrives from other nodes, on the cluster's own thread: it must not block.
class RecordHandler {
 public:
  virtual ~RecordHandler() = default;
  virtual void on_record(std::uint64_t from_node, Channel channel,
                         std::span<const std::uint8_t> record) = 0;
  // The node left, was declared gone or its connection was lost: what was in flight to it
  // may be lost, and nothing more will come from this incarnation of it.
  virtual void on_node_down(std::uint64_t node) = 0;
  // A connection to the node could not be made (refused, a certificate or hello refused, the
  // handshake timed out). The transport tries again; this says why it failed so far.
  virtual void on_connection_failed(std::uint64_t node, const std::string& reason) = 0;
};

class Cluster {
 public:
  virtual ~Cluster() = default;
  virtual std::uint64_t node_id() const = 0;
  // Every member now, this node among them, in id order; and one of them by id. A member
  // that has joined but not yet published its address (it is not listening yet) is not one.
  virtual std::vector<NodeInfo> nodes() const = 0;
  virtual std::optional<NodeInfo> node(std::uint64_t id) const = 0;
  // Whether a connection to the node is up now.
  virtual bool connected(std::uint64_t node) const = 0;
  // Queues the record for the node without waiting; records of one stream arrive in order.
  // Fails when the node is not a member, or its queue is full.
  virtual Status send(std::uint64_t node, Channel channel, std::uint64_t stream,
                      std::vector<std::uint8_t> record) = 0;
  // One handler at a time; nullptr detaches it (and waits until no call to it is running).
  virtual void set_handler(RecordHandler* handler) = 0;

  // Process names every node sees (cluster/global_names.hpp). Each blocks for a round trip to
  // the membership store: never on a scheduler worker.
  virtual Expected<std::uint64_t> register_name(std::string_view name, std::uint64_t process) = 0;
  virtual Expected<std::optional<std::uint64_t>> whereis(std::string_view name) = 0;
  virtual Expected<bool> unregister_name(std::string_view name, std::uint64_t process) = 0;
  // Per other node this one exchanged records with, in node id order.
  virtual std::vector<PeerTraffic> traffic() const = 0;
};

}  // namespace lunatic::cluster
