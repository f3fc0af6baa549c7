// Process ids that name their node. An unmodified lunatic-rs guest passes only a bare id to
// send, link, monitor and kill, so the node must be readable from the id itself: the top bits
// are the node's id, the low kLocalIdBits its own count. A runtime that is no cluster's node
// is node 0, so its ids are the small numbers they always were.
#pragma once

#include <cstdint>

namespace lunatic::cluster {

inline constexpr unsigned kLocalIdBits = 44;  // 17.6e12 processes per node incarnation
inline constexpr std::uint64_t kMaxNodeId = (std::uint64_t{1} << (64 - kLocalIdBits)) - 1;

// The node a process id names (0: this runtime when it is no cluster's node).
constexpr std::uint64_t node_of(std::uint64_t process_id) { return process_id >> kLocalIdBits; }
// The first id a node gives out; every later one counts up from it.
constexpr std::uint64_t first_process_id(std::uint64_t node_id) {
  return (node_id << kLocalIdBits) + 1;
}

}  // namespace lunatic::cluster
