#include "cluster/cluster_node.hpp"

#include <fmt/core.h>

namespace lunatic::cluster {
namespace {

NodeInfo info_of(const NodeRecord& record) {
  return NodeInfo{record.id, record.name, record.address, record.tags};
}

}  // namespace

Expected<std::unique_ptr<ClusterNode>> ClusterNode::start(const StoreClient& store,
                                                          ClusterNodeOptions options) {
  std::unique_ptr<ClusterNode> node(new ClusterNode());
  node->on_status_ = std::move(options.on_status);
  ClusterNode* self = node.get();
  options.membership.address.clear();
  options.membership.on_rejoined = [self](std::int64_t incarnation) {
    self->on_rejoined(incarnation);
  };
  auto membership = Membership::join(store, std::move(options.membership));
  if (!membership) return membership.error();
  node->membership_ = std::move(*membership);
  node->names_ = std::make_unique<GlobalNames>(*node->membership_);

  options.transport.node_id = node->membership_->id();
  options.transport.incarnation = static_cast<std::uint64_t>(node->membership_->self().incarnation);
  const std::uint64_t first_incarnation = options.transport.incarnation;
  NodeTransportCallbacks callbacks;
  callbacks.on_message = [self](std::uint64_t peer, std::uint8_t channel, std::uint64_t stream,
                                std::vector<std::uint8_t> bytes) {
    (void)stream;
    std::shared_lock lock(self->handler_mutex_);
    if (self->handler_ != nullptr) {
      self->handler_->on_record(peer, static_cast<Channel>(channel), bytes);
    }
  };
  callbacks.on_peer_down = [self](std::uint64_t peer, const std::string& reason) {
    self->status(fmt::format("node {}: connection down ({})", peer, reason));
    std::shared_lock lock(self->handler_mutex_);
    if (self->handler_ != nullptr) self->handler_->on_node_down(peer);
  };
  callbacks.on_connection_failed = [self](std::uint64_t peer, const std::string& address,
                                          const std::string& reason) {
    self->status(fmt::format("node {} at {}: no connection ({})", peer, address, reason));
    if (peer == 0) return;
    std::shared_lock lock(self->handler_mutex_);
    if (self->handler_ != nullptr) self->handler_->on_connection_failed(peer, reason);
  };
  callbacks.refuse_incarnation = [self](std::uint64_t peer, std::uint64_t incarnation) {
    return self->refuse_incarnation(peer, incarnation);
  };
  node->transport_ = std::make_unique<NodeTransport>(std::move(options.transport), callbacks);
  if (const Status started = node->transport_->start(); !started) {
    node->membership_->leave();
    return started.error();
  }
  node->address_ = node->transport_->bound_address().to_string();
  std::int64_t started_as = 0;
  {
    std::unique_lock lock(node->handler_mutex_);
    node->started_transport_ = node->transport_.get();
    started_as = node->membership_->self().incarnation;
  }
  // A rejoin while the transport started was not passed on: pass it now.
  if (static_cast<std::uint64_t>(started_as) != first_incarnation) {
    node->transport_->set_incarnation(static_cast<std::uint64_t>(started_as));
  }
  return node;
}

Status ClusterNode::announce() {
  if (const Status published = membership_->publish_address(address_); !published) {
    return published;
  }
  membership_->subscribe(
      [this](const NodeRecord& member, bool joined) { on_member(member, joined); });
  return Ok{};
}

ClusterNode::~ClusterNode() { leave(); }

void ClusterNode::leave() {
  std::call_once(left_, [&] {
    if (transport_) transport_->stop();
    if (membership_) membership_->leave();
  });
}

std::vector<NodeInfo> ClusterNode::nodes() const {
  std::vector<NodeInfo> result;
  bool self_seen = false;
  for (const NodeRecord& record : membership_->nodes()) {
    self_seen = self_seen || record.id == node_id();
    // A member that has not published its address yet is not listening, and not a peer of
    // the transport (on_member): a spawn or send to it would fail at once.
    if (record.id != node_id() && record.address.empty()) continue;
    result.push_back(info_of(record));
  }
  if (!self_seen) result.insert(result.begin(), info_of(membership_->self()));
  std::sort(result.begin(), result.end(),
            [](const NodeInfo& a, const NodeInfo& b) { return a.id < b.id; });
  return result;
}

std::optional<NodeInfo> ClusterNode::node(std::uint64_t id) const {
  if (id == node_id()) return info_of(membership_->self());
  if (auto record = membership_->node(id); record && !record->address.empty()) {
    return info_of(*record);
  }
  return std::nullopt;
}

Status ClusterNode::send(std::uint64_t node, Channel channel, std::uint64_t stream,
                         std::vector<std::uint8_t> record) {
  if (node == node_id()) {
    return make_error(Errc::kInvalidArgument, "a record for this node itself is not sent");
  }
  const auto wire_channel = static_cast<std::uint8_t>(channel);
  Status sent = transport_->send(node, wire_channel, stream, std::move(record));
  if (sent || sent.error().code != Errc::kInvalidArgument) return sent;
  // The membership shows a new member a moment before its listener makes it the transport's
  // peer: a member with an address is one, whichever comes first.
  const auto member = membership_->node(node);
  if (!member || member->address.empty() || !transport_->add_peer(node, member->address)) {
    return sent;
  }
  return transport_->send(node, wire_channel, stream, std::move(record));
}

void ClusterNode::set_handler(RecordHandler* handler) {
  std::unique_lock lock(handler_mutex_);
  handler_ = handler;
}

void ClusterNode::on_member(const NodeRecord& member, bool joined) {
  if (member.id == node_id()) return;
  if (joined) {
    if (member.address.empty()) return;  // not listening yet: its address comes with an update
    if (const Status added = transport_->add_peer(member.id, member.address); !added) {
      status(fmt::format("node {} ({}): {}", member.id, member.name, added.error().message));
    }
    return;
  }
  {
    std::lock_guard lock(departed_mutex_);
    std::uint64_t& last = departed_[member.id];
    last = std::max(last, static_cast<std::uint64_t>(member.incarnation));
  }
  transport_->remove_peer(member.id);
  std::shared_lock lock(handler_mutex_);
  if (handler_ != nullptr) handler_->on_node_down(member.id);
}

void ClusterNode::on_rejoined(std::int64_t incarnation) {
  std::shared_lock lock(handler_mutex_);
  if (started_transport_ == nullptr) return;  // start() has not finished: nothing to close yet
  status(
      fmt::format("a new incarnation ({}): closing the connections of the old one", incarnation));
  started_transport_->set_incarnation(static_cast<std::uint64_t>(incarnation));
}

std::optional<std::string> ClusterNode::refuse_incarnation(std::uint64_t peer,
                                                           std::uint64_t incarnation) const {
  if (auto record = membership_->node(peer)) {
    const auto current = static_cast<std::uint64_t>(record->incarnation);
    if (incarnation < current) {
      return fmt::format("incarnation {} of node {} is over; it is now {}", incarnation, peer,
                         current);
    }
    return std::nullopt;
  }
  std::lock_guard lock(departed_mutex_);
  if (const auto found = departed_.find(peer);
      found != departed_.end() && incarnation <= found->second) {
    return fmt::format("incarnation {} of node {} left the cluster", incarnation, peer);
  }
  return std::nullopt;
}

void ClusterNode::status(const std::string& text) const {
  if (on_status_) on_status_(text);
}

}  // namespace lunatic::cluster
