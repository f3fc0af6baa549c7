#include "cluster/global_names.hpp"

#include <charconv>

namespace lunatic::cluster {
namespace {

std::optional<std::uint64_t> parse_process(const std::string& text) {
  std::uint64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value == 0) return std::nullopt;
  return value;
}

Error damaged(std::string_view name, const std::string& value) {
  return make_error(Errc::kIo, "the store holds \"" + value + "\" for the name \"" +
                                   std::string(name) + "\", which is not a process id");
}

}  // namespace

Expected<std::string> GlobalNames::key(std::string_view name) const {
  if (name.empty() || name.size() > kMaxGlobalName) {
    return make_error(Errc::kInvalidArgument,
                      "a global name has 1 to " + std::to_string(kMaxGlobalName) + " bytes");
  }
  return membership_.cluster() + "/processes/" + std::string(name);
}

Expected<std::uint64_t> GlobalNames::register_name(std::string_view name,
                                                   std::uint64_t process) const {
  auto at = key(name);
  if (!at) return at.error();
  const LeaseId lease = membership_.lease();
  if (lease == 0) {
    return make_error(Errc::kIo, "this node is not registered in the store right now");
  }
  auto created = membership_.store().create_if_absent(*at, std::to_string(process), lease);
  if (!created) return created.error();
  if (created->created) return process;
  const auto holder = parse_process(created->current.value);
  if (!holder) return damaged(name, created->current.value);
  return *holder;
}

Expected<std::optional<std::uint64_t>> GlobalNames::whereis(std::string_view name) const {
  auto at = key(name);
  if (!at) return at.error();
  auto got = membership_.store().get(*at);
  if (!got) return got.error();
  if (!got->has_value()) return std::optional<std::uint64_t>();
  const auto holder = parse_process((*got)->value);
  if (!holder) return damaged(name, (*got)->value);
  return std::optional<std::uint64_t>(*holder);
}

Expected<bool> GlobalNames::unregister(std::string_view name, std::uint64_t process) const {
  auto at = key(name);
  if (!at) return at.error();
  return membership_.store().delete_if_value(*at, std::to_string(process));
}

}  // namespace lunatic::cluster
