// The records nodes exchange: each survives a round trip, and a short, long or out-of-range
// record is refused instead of being read past its end.
#include <gtest/gtest.h>

#include "cluster/node_protocol.hpp"

namespace lunatic::cluster {
namespace {

ModuleHash some_hash() {
  ModuleHash hash;
  for (std::size_t i = 0; i < kModuleHashLength; ++i) hash += "0123456789abcdef"[i * 7 % 16];
  return hash;
}

// Every strict prefix of a record and the record with a byte more are refused.
template <class Decode>
void expect_only_exact_bytes_decode(const std::vector<std::uint8_t>& bytes, Decode decode) {
  ASSERT_TRUE(decode(bytes));
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(decode(std::span(bytes.data(), size))) << "a prefix of " << size << " bytes";
  }
  auto longer = bytes;
  longer.push_back(0);
  const auto refused = decode(longer);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("malformed"), std::string::npos);
}

TEST(ClusterNodeProtocol, AMessageKeepsItsAddressesTagAndBytes) {
  const RemoteMessage message{
      (std::uint64_t{3} << 44) + 9, (std::uint64_t{5} << 44) + 2, -7, {1, 2, 3, 0, 255}};
  const auto bytes = encode(message);
  const auto decoded = decode_message(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->receiver, message.receiver);
  EXPECT_EQ(decoded->sender, message.sender);
  EXPECT_EQ(decoded->tag, -7);
  EXPECT_EQ(decoded->data, message.data);
  expect_only_exact_bytes_decode(bytes, decode_message);
}

TEST(ClusterNodeProtocol, ASpawnKeepsItsModuleFunctionArgumentsAndConfig) {
  SpawnRequest spawn;
  spawn.request = 42;
  spawn.parent = 77;
  spawn.module = some_hash();
  spawn.function = "_lunatic_spawn_by_index_0.14.1";
  spawn.param_types = "i32 i64";
  spawn.params = {5, 0xFFFF'FFFF'FFFF'FFFF};
  spawn.config = {'{', '}'};
  const auto bytes = encode(spawn);
  const auto decoded = decode_spawn(bytes);
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->request, 42u);
  EXPECT_EQ(decoded->parent, 77u);
  EXPECT_EQ(decoded->module, spawn.module);
  EXPECT_EQ(decoded->function, spawn.function);
  EXPECT_EQ(decoded->param_types, "i32 i64");
  EXPECT_EQ(decoded->params, spawn.params);
  EXPECT_EQ(decoded->config, spawn.config);
  expect_only_exact_bytes_decode(bytes, decode_spawn);
}

TEST(ClusterNodeProtocol, RepliesModulesKillsAndNoProcessRoundTrip) {
  const SpawnReply refused{9, SpawnReply::Result::kRefused, 0, "the module does not validate"};
  const auto reply = decode_spawn_reply(encode(refused));
  ASSERT_TRUE(reply);
  EXPECT_EQ(reply->result, SpawnReply::Result::kRefused);
  EXPECT_EQ(reply->reason, refused.reason);
  expect_only_exact_bytes_decode(encode(refused), decode_spawn_reply);

  const ModuleBytes module{some_hash(), {0, 'a', 's', 'm'}};
  const auto decoded = decode_module(encode(module));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->hash, module.hash);
  EXPECT_EQ(decoded->wasm, module.wasm);
  expect_only_exact_bytes_decode(encode(module), decode_module);

  EXPECT_EQ(decode_kill(encode(Kill{12}))->process, 12u);
  expect_only_exact_bytes_decode(encode(Kill{12}), decode_kill);
  EXPECT_EQ(decode_no_process(encode(NoProcess{13}))->process, 13u);
  expect_only_exact_bytes_decode(encode(NoProcess{13}), decode_no_process);
}

TEST(ClusterNodeProtocol, OutOfRangeValuesAreRefused) {
  auto bytes = encode(SpawnReply{1, SpawnReply::Result::kSpawned, 5, ""});
  bytes[8] = 3;  // no such result
  EXPECT_FALSE(decode_spawn_reply(bytes));

  SpawnRequest spawn;
  spawn.module = some_hash();
  auto request = encode(spawn);
  // The argument count says a million: refused before anything is read or allocated for them.
  const std::size_t count_at = 8 + 8 + 4 + kModuleHashLength + 4 + 4;  // two empty strings
  request[count_at] = 0x40;
  request[count_at + 1] = 0x42;
  request[count_at + 2] = 0x0F;
  EXPECT_FALSE(decode_spawn(request));

  ModuleBytes short_hash{some_hash().substr(1), {}};
  EXPECT_FALSE(decode_module(encode(short_hash)));
  ModuleBytes upper_case{some_hash(), {}};
  upper_case.hash[0] = 'A';
  EXPECT_FALSE(decode_module(encode(upper_case)));
}

TEST(ClusterNodeProtocol, SignalsKeepTheirKindEndsTagAndReason) {
  const Signal died{Signal::Kind::kLinkDied, 1ull << 44 | 5, 2ull << 44 | 9, -3,
                    Signal::Reason::kFailure};
  const auto decoded = decode_signal(encode(died));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->kind, Signal::Kind::kLinkDied);
  EXPECT_EQ(decoded->from, died.from);
  EXPECT_EQ(decoded->to, died.to);
  EXPECT_EQ(decoded->tag, -3);
  EXPECT_EQ(decoded->reason, Signal::Reason::kFailure);
  expect_only_exact_bytes_decode(encode(died), decode_signal);

  auto bytes = encode(died);
  bytes[0] = 0;  // no such kind
  EXPECT_FALSE(decode_signal(bytes));
  bytes[0] = 7;
  EXPECT_FALSE(decode_signal(bytes));
  bytes = encode(died);
  bytes.back() = 3;  // no such reason (a node's loss never travels)
  EXPECT_FALSE(decode_signal(bytes));
}

TEST(ClusterNodeProtocol, AnUpgradeAndItsReplyRoundTripAndBadOnesAreRefused) {
  UpgradeRequest request{7, some_hash(), std::string(kModuleHashLength, 'b'), true, false, 2500};
  const auto decoded = decode_upgrade(encode(request));
  ASSERT_TRUE(decoded);
  EXPECT_EQ(decoded->request, 7u);
  EXPECT_EQ(decoded->from, request.from);
  EXPECT_EQ(decoded->to, request.to);
  EXPECT_TRUE(decoded->purge);
  EXPECT_FALSE(decoded->restart);
  EXPECT_EQ(decoded->timeout_ms, 2500u);
  expect_only_exact_bytes_decode(encode(request), decode_upgrade);
  auto bad_flags = encode(request);
  bad_flags[bad_flags.size() - 9] = 4;  // the flags byte: only purge (1) and restart (2) exist
  EXPECT_FALSE(decode_upgrade(bad_flags));
  request.to = "not a hash";
  EXPECT_FALSE(decode_upgrade(encode(request)));

  const UpgradeReply reply{7, "", 3, 1, 2, 0, 1, "process 5: refused"};
  const auto answer = decode_upgrade_reply(encode(reply));
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->upgraded, 3u);
  EXPECT_EQ(answer->failed, 1u);
  EXPECT_EQ(answer->timed_out, 2u);
  EXPECT_EQ(answer->purged, 1u);
  EXPECT_EQ(answer->first_failure, reply.first_failure);
  expect_only_exact_bytes_decode(encode(reply), decode_upgrade_reply);
}

TEST(ClusterNodeProtocol, EachPairOfProcessesHasItsOwnNonZeroStream) {
  EXPECT_NE(message_stream(1, 2), message_stream(2, 1));
  EXPECT_NE(message_stream(1, 2), message_stream(1, 3));
  EXPECT_EQ(message_stream(1, 2), message_stream(1, 2));
  EXPECT_NE(message_stream(0, 0), 0u);
}

}  // namespace
}  // namespace lunatic::cluster
