// A node's tags (`lunatic node --tag k=v`) and the queries that select nodes by them
// (lunatic::distributed::exec_lookup_nodes, lunatic-rs's `lookup_nodes("k=v&k2=v2")`).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/error.hpp"

namespace lunatic::cluster {

using NodeTags = std::map<std::string, std::string, std::less<>>;

// Parses one "key=value" (the key non-empty, the value may be empty) into `tags`; a later
// value for the same key replaces the earlier one.
Status add_tag(NodeTags& tags, std::string_view key_value);

// A conjunction of key=value terms, "&"-separated, as a URL query. The empty query selects
// every node.
class TagQuery {
 public:
  static Expected<TagQuery> parse(std::string_view text);
  bool matches(const NodeTags& tags) const;

 private:
  NodeTags terms_;
};

}  // namespace lunatic::cluster
