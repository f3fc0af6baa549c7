// What a node publishes about itself in the membership store, and its JSON form there:
// {"id": 7, "name": "a", "address": "10.0.0.7:7000", "tags": {"zone": "eu"}}.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "cluster/node_tags.hpp"
#include "common/error.hpp"

namespace lunatic::cluster {

struct NodeRecord {
  std::uint64_t id = 0;  // cluster-unique, never reused; the top bits of its process ids
  std::string name;
  std::string address;  // host:port of the node's transport
  NodeTags tags;
  // The store revision the record was created at (not part of the JSON). A node that lost its
  // lease and rejoined keeps its id and gets a new incarnation.
  std::int64_t incarnation = 0;

  bool operator==(const NodeRecord&) const = default;
};

std::string encode_node_record(const NodeRecord& record);
// kInvalidArgument for text that is not a record (wrong JSON, missing or mistyped fields).
Expected<NodeRecord> decode_node_record(std::string_view text);

}  // namespace lunatic::cluster
