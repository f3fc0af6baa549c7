// A process config crossing to another node: everything but directories round-trips, a
// directory travels by its guest name and is granted by the receiving node or refused, and
// bytes that are not a config are refused.
#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "host/process_config_codec.hpp"

namespace lunatic::host {
namespace {

TEST(HostProcessConfigCodec, EverythingButDirectoriesRoundTrips) {
  ProcessConfig config;
  config.max_memory = 1 << 20;
  config.max_fuel = 7;
  config.can_spawn_processes = true;
  config.args = {"app", "--flag"};
  config.env = {{"A", "1"}, {"B", ""}};
  config.max_processes = 3;
  config.max_mailbox_bytes = 4096;
  net::NetworkRule rule;
  rule.family = AF_INET;
  inet_pton(AF_INET, "10.0.0.0", rule.address);
  rule.prefix_length = 8;
  rule.port_min = 80;
  rule.port_max = 90;
  config.network.allow(rule);
  const auto decoded = decode_config(encode_config(config), {});
  ASSERT_TRUE(decoded) << decoded.error().message;
  EXPECT_EQ(decoded->max_memory, config.max_memory);
  EXPECT_EQ(decoded->max_fuel, 7u);
  EXPECT_TRUE(decoded->can_spawn_processes);
  EXPECT_FALSE(decoded->can_compile_modules);
  EXPECT_EQ(decoded->args, config.args);
  EXPECT_EQ(decoded->env, config.env);
  EXPECT_EQ(decoded->max_processes, 3u);
  EXPECT_EQ(decoded->max_mailbox_bytes, 4096u);
  ASSERT_FALSE(decoded->network.unrestricted());
  ASSERT_EQ(decoded->network.rules().size(), 1u);
  EXPECT_EQ(decoded->network.rules()[0].prefix_length, 8u);
  EXPECT_EQ(decoded->network.rules()[0].port_max, 90);
  EXPECT_TRUE(decode_config(encode_config(ProcessConfig{}), {})->network.unrestricted());
}

TEST(HostProcessConfigCodec, ADirectoryIsGrantedByItsGuestNameOrRefused) {
  ProcessConfig config;
  config.preopened_dirs.push_back(wasi::Preopen{"/home/a/data", "data", nullptr});
  const auto bytes = encode_config(config);
  const auto refused = decode_config(bytes, {});
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("\"data\""), std::string::npos);
  const std::vector<wasi::Preopen> grants{{"/srv/other", "other", nullptr},
                                          {"/srv/data", "data", nullptr}};
  const auto granted = decode_config(bytes, grants);
  ASSERT_TRUE(granted) << granted.error().message;
  ASSERT_EQ(granted->preopened_dirs.size(), 1u);
  EXPECT_EQ(granted->preopened_dirs[0].host_path, "/srv/data");  // the receiving node's own
}

TEST(HostProcessConfigCodec, BytesThatAreNotAConfigAreRefused) {
  for (const std::vector<std::uint8_t>& bad :
       {std::vector<std::uint8_t>{}, std::vector<std::uint8_t>{0xC1},
        std::vector<std::uint8_t>{0x80},  // an empty map: every field missing
        std::vector<std::uint8_t>{0x91, 0x01}}) {
    const auto decoded = decode_config(bad, {});
    ASSERT_FALSE(decoded);
    EXPECT_NE(decoded.error().message.find("malformed process config"), std::string::npos);
  }
  // A field of the wrong type, and a network rule out of range.
  auto value = nlohmann::json::from_msgpack(encode_config(ProcessConfig{}));
  value["max_memory"] = "lots";
  EXPECT_FALSE(decode_config(nlohmann::json::to_msgpack(value), {}));
  value = nlohmann::json::from_msgpack(encode_config(ProcessConfig{}));
  value["network_unrestricted"] = false;
  value["network_rules"] = {{{"access", 0},
                             {"family", 4},
                             {"address", std::vector<int>(16, 0)},
                             {"prefix_length", 33},
                             {"port_min", 0},
                             {"port_max", 1}}};
  EXPECT_FALSE(decode_config(nlohmann::json::to_msgpack(value), {}));
}

}  // namespace
}  // namespace lunatic::host
