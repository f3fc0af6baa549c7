#include "cluster/node_tags.hpp"

namespace lunatic::cluster {

Status add_tag(NodeTags& tags, std::string_view key_value) {
  const std::size_t eq = key_value.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return make_error(Errc::kInvalidArgument, "a tag is key=value with a non-empty key, got \"" +
                                                  std::string(key_value) + "\"");
  }
  tags.insert_or_assign(std::string(key_value.substr(0, eq)),
                        std::string(key_value.substr(eq + 1)));
  return Ok{};
}

Expected<TagQuery> TagQuery::parse(std::string_view text) {
  const std::string whole(text);
  TagQuery query;
  if (text.empty()) return query;
  for (std::size_t begin = 0;;) {
    const std::size_t amp = text.find('&', begin);
    if (auto added = add_tag(query.terms_, text.substr(begin, amp - begin)); !added) {
      return make_error(Errc::kInvalidArgument,
                        "in the node query \"" + whole + "\": " + added.error().message);
    }
    if (amp == std::string_view::npos) break;
    begin = amp + 1;
  }
  return query;
}

bool TagQuery::matches(const NodeTags& tags) const {
  for (const auto& [key, value] : terms_) {
    const auto found = tags.find(key);
    if (found == tags.end() || found->second != value) return false;
  }
  return true;
}

}  // namespace lunatic::cluster
