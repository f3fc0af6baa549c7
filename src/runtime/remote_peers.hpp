// Links and monitors whose other end is a process of another node. The runtime knows only
// process ids; whoever joins it to a cluster (host/distributed_node) tells it which ids are
// another node's and carries the deaths there.
// Thread: called from the worker that finishes a process; must not block.
#pragma once

#include <cstdint>

namespace lunatic::runtime {

enum class DeathReason : std::uint8_t;

class RemotePeers {
 public:
  virtual ~RemotePeers() = default;
  // Whether the id names a process of another node.
  virtual bool is_remote(std::uint64_t process_id) const = 0;
  // `died`, of this node, was linked to `peer`, of another node, under `tag`.
  virtual void link_died(std::uint64_t peer, std::uint64_t died, std::int64_t tag,
                         DeathReason reason) = 0;
  // `died`, of this node, was monitored by `watcher`, of another node.
  virtual void monitored_died(std::uint64_t watcher, std::uint64_t died) = 0;
};

}  // namespace lunatic::runtime
