// A runtime's membership in a cluster, made whole: it joins the membership store (etcd, or
// `lunatic control`), runs the node-to-node transport, dials every member the store shows and
// forgets those that leave. The host sees it as a cluster::Cluster.
//
// Start-up: start() takes the node's id from the store, with no address, and starts its
// transport under that id; announce() publishes the address the transport bound and starts
// dialing the members. A member without an address is not dialed, so nothing arrives before
// announce(): the handler set between the two sees every record.
//
// Incarnations. The transport's hello carries the node's incarnation in the membership (the
// store revision that created its record). A node whose lease ended behind its back (frozen,
// cut off from the store) rejoins under its id with a new incarnation: it closes every
// connection of the old one first, so its links and monitors with other nodes fire on its side
// as they did on theirs, and it dials again as the new one. A peer refuses a hello from an
// incarnation it knows to be over (older than the record it holds, or one it saw leave), so
// nothing of the old life reaches it once it has seen that life end. Process ids do not change:
// a process that lived through it is the same process (as in Erlang after a partition heals);
// a node that restarts gets a new id, so its old ids never name a new process.
#pragma once

#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

#include "cluster/cluster.hpp"
#include "cluster/global_names.hpp"
#include "cluster/membership.hpp"
#include "cluster/store_client.hpp"
#include "cluster/transport.hpp"

namespace lunatic::cluster {

struct ClusterNodeOptions {
  MembershipOptions membership;    // its address is filled in from the transport
  NodeTransportOptions transport;  // its node id and incarnation are filled in from membership
  // Called for what the node does on its own (lost the store, a peer refused, a peer down),
  // from the cluster's threads; may be empty.
  std::function<void(std::string_view)> on_status;
};

class ClusterNode final : public Cluster {
 public:
  static Expected<std::unique_ptr<ClusterNode>> start(const StoreClient& store,
                                                      ClusterNodeOptions options);
  ~ClusterNode() override;  // leave()
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  std::uint64_t node_id() const override { return membership_->id(); }
  std::vector<NodeInfo> nodes() const override;
  std::optional<NodeInfo> node(std::uint64_t id) const override;
  bool connected(std::uint64_t node) const override { return transport_->connected(node); }
  Status send(std::uint64_t node, Channel channel, std::uint64_t stream,
              std::vector<std::uint8_t> record) override;
  void set_handler(RecordHandler* handler) override;
  Expected<std::uint64_t> register_name(std::string_view name, std::uint64_t process) override {
    return names_->register_name(name, process);
  }
  Expected<std::optional<std::uint64_t>> whereis(std::string_view name) override {
    return names_->whereis(name);
  }
  Expected<bool> unregister_name(std::string_view name, std::uint64_t process) override {
    return names_->unregister(name, process);
  }
  std::vector<PeerTraffic> traffic() const override { return transport_->traffic(); }

  // Makes the node reachable: publishes its address and dials the others. Once only.
  Status announce();

  // The transport's address, as published.
  std::string address() const { return address_; }
  // Stops the transport and leaves the store (the others see this node leave at once).
  // Idempotent.
  void leave();

 private:
  ClusterNode() = default;
  void on_member(const NodeRecord& node, bool joined);
  void on_rejoined(std::int64_t incarnation);
  std::optional<std::string> refuse_incarnation(std::uint64_t peer,
                                                std::uint64_t incarnation) const;
  void status(const std::string& text) const;

  std::function<void(std::string_view)> on_status_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<GlobalNames> names_;
  std::unique_ptr<NodeTransport> transport_;
  std::string address_;

  mutable std::shared_mutex handler_mutex_;  // shared while a record is handed over
  RecordHandler* handler_ = nullptr;
  // The transport, once start() has made it: on_rejoined may come before (under handler_mutex_).
  NodeTransport* started_transport_ = nullptr;

  mutable std::mutex departed_mutex_;
  // Per node, the last incarnation seen leave: a hello from it or an earlier one is refused.
  std::unordered_map<std::uint64_t, std::uint64_t> departed_;
  std::once_flag left_;
};

}  // namespace lunatic::cluster
