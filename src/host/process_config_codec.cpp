#include "host/process_config_codec.hpp"

#include <sys/socket.h>

#include <algorithm>

#include <nlohmann/json.hpp>

namespace lunatic::host {
namespace {

using nlohmann::json;

json encode_rule(const net::NetworkRule& rule) {
  return {{"access", static_cast<std::uint32_t>(rule.access)},
          {"family", rule.family == AF_INET6 ? 6 : 4},
          {"address", std::vector<std::uint8_t>(std::begin(rule.address), std::end(rule.address))},
          {"prefix_length", rule.prefix_length},
          {"port_min", rule.port_min},
          {"port_max", rule.port_max}};
}

net::NetworkRule decode_rule(const json& value) {
  net::NetworkRule rule;
  const auto access = value.at("access").get<std::uint32_t>();
  if (access > static_cast<std::uint32_t>(net::NetworkAccess::kBind)) {
    throw std::invalid_argument("a network rule's access is out of range");
  }
  rule.access = static_cast<net::NetworkAccess>(access);
  const int family = value.at("family").get<int>();
  if (family != 4 && family != 6) throw std::invalid_argument("a network rule's family is 4 or 6");
  rule.family = family == 6 ? AF_INET6 : AF_INET;
  const auto address = value.at("address").get<std::vector<std::uint8_t>>();
  if (address.size() != sizeof rule.address) {
    throw std::invalid_argument("a network rule's address has 16 bytes");
  }
  std::copy(address.begin(), address.end(), rule.address);
  rule.prefix_length = value.at("prefix_length").get<std::uint32_t>();
  if (rule.prefix_length > (family == 6 ? 128u : 32u)) {
    throw std::invalid_argument("a network rule's prefix is longer than its address");
  }
  rule.port_min = value.at("port_min").get<std::uint16_t>();
  rule.port_max = value.at("port_max").get<std::uint16_t>();
  return rule;
}

}  // namespace

std::vector<std::uint8_t> encode_config(const ProcessConfig& config) {
  json preopens = json::array();
  for (const wasi::Preopen& preopen : config.preopened_dirs) preopens.push_back(preopen.guest_path);
  json rules = json::array();
  for (const net::NetworkRule& rule : config.network.rules()) rules.push_back(encode_rule(rule));
  const json value = {{"max_memory", config.max_memory},
                      {"max_fuel", config.max_fuel},
                      {"can_compile_modules", config.can_compile_modules},
                      {"can_create_configs", config.can_create_configs},
                      {"can_spawn_processes", config.can_spawn_processes},
                      {"args", config.args},
                      {"env", config.env},
                      {"preopens", preopens},
                      {"network_unrestricted", config.network.unrestricted()},
                      {"network_rules", rules},
                      {"max_processes", config.max_processes},
                      {"max_total_memory", config.max_total_memory},
                      {"max_compiles", config.max_compiles},
                      {"max_mailbox_messages", config.max_mailbox_messages},
                      {"max_mailbox_bytes", config.max_mailbox_bytes}};
  return json::to_msgpack(value);
}

Expected<ProcessConfig> decode_config(std::span<const std::uint8_t> bytes,
                                      std::span<const wasi::Preopen> grants) {
  try {
    const json value = json::from_msgpack(bytes.begin(), bytes.end());
    ProcessConfig config;
    config.max_memory = value.at("max_memory").get<std::uint64_t>();
    config.max_fuel = value.at("max_fuel").get<std::uint64_t>();
    config.can_compile_modules = value.at("can_compile_modules").get<bool>();
    config.can_create_configs = value.at("can_create_configs").get<bool>();
    config.can_spawn_processes = value.at("can_spawn_processes").get<bool>();
    config.args = value.at("args").get<std::vector<std::string>>();
    config.env = value.at("env").get<std::vector<std::pair<std::string, std::string>>>();
    for (const auto& name : value.at("preopens").get<std::vector<std::string>>()) {
      const auto grant = std::find_if(grants.begin(), grants.end(),
                                      [&](const wasi::Preopen& p) { return p.guest_path == name; });
      if (grant == grants.end()) {
        return make_error(Errc::kInvalidArgument,
                          "the config preopens \"" + name +
                              "\", a directory this node does not grant (lunatic node --dir)");
      }
      config.preopened_dirs.push_back(*grant);
    }
    if (!value.at("network_unrestricted").get<bool>()) {
      config.network.deny_all();
      for (const json& rule : value.at("network_rules")) config.network.allow(decode_rule(rule));
    }
    config.max_processes = value.at("max_processes").get<std::uint64_t>();
    config.max_total_memory = value.at("max_total_memory").get<std::uint64_t>();
    config.max_compiles = value.at("max_compiles").get<std::uint64_t>();
    config.max_mailbox_messages = value.at("max_mailbox_messages").get<std::uint64_t>();
    config.max_mailbox_bytes = value.at("max_mailbox_bytes").get<std::uint64_t>();
    return config;
  } catch (const std::exception& error) {
    return make_error(Errc::kInvalidArgument,
                      std::string("a malformed process config: ") + error.what());
  }
}

}  // namespace lunatic::host
