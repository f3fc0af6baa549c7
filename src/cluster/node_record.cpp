#include "cluster/node_record.hpp"

#include <nlohmann/json.hpp>

namespace lunatic::cluster {

using nlohmann::json;

std::string encode_node_record(const NodeRecord& record) {
  json tags = json::object();
  for (const auto& [key, value] : record.tags) tags[key] = value;
  return json{{"id", record.id}, {"name", record.name}, {"address", record.address}, {"tags", tags}}
      .dump();
}

Expected<NodeRecord> decode_node_record(std::string_view text) {
  const json parsed = json::parse(text, nullptr, false);
  auto bad = [&](const char* why) {
    return make_error(Errc::kInvalidArgument, std::string("not a node record (") + why +
                                                  "): " + std::string(text.substr(0, 200)));
  };
  if (!parsed.is_object()) return bad("not a JSON object");
  const auto id = parsed.find("id");
  const auto name = parsed.find("name");
  const auto address = parsed.find("address");
  if (id == parsed.end() || !id->is_number_unsigned()) return bad("no numeric id");
  if (name == parsed.end() || !name->is_string()) return bad("no name");
  if (address == parsed.end() || !address->is_string()) return bad("no address");
  NodeRecord record;
  record.id = id->get<std::uint64_t>();
  record.name = name->get<std::string>();
  record.address = address->get<std::string>();
  if (const auto tags = parsed.find("tags"); tags != parsed.end()) {
    if (!tags->is_object()) return bad("tags are not an object");
    for (const auto& [key, value] : tags->items()) {
      if (!value.is_string()) return bad("a tag's value is not a string");
      record.tags.emplace(key, value.get<std::string>());
    }
  }
  return record;
}

}  // namespace lunatic::cluster
