// What nodes say to each other over the transport, one record per transport message. Each
// record kind travels on its own channel; messages between two processes share a stream, so
// they arrive in the order they were sent, and nothing is acknowledged per message.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "common/error.hpp"

namespace lunatic::cluster {

enum class Channel : std::uint8_t {
  kMessage = 1,       // a data message for a process
  kNoProcess = 2,     // a message's receiver does not exist (told back to the sender's node)
  kModule = 3,        // a module's wasm bytes, by content hash, before a spawn that needs them
  kSpawn = 4,         // spawn a process of a module (known by hash) on the receiving node
  kSpawnReply = 5,    // the new process's id, or why there is none
  kKill = 6,          // kill a process of the receiving node
  kSignal = 7,        // a link or monitor between two processes of two nodes changed or fired
  kUpgrade = 8,       // move the receiving node's processes of a module to another (by hashes)
  kUpgradeReply = 9,  // how that went
};

// The wasm bytes' SHA-256, in hex (engine::sha256_hex, as the artifact cache names them).
using ModuleHash = std::string;
inline constexpr std::size_t kModuleHashLength = 64;

struct RemoteMessage {
  std::uint64_t receiver = 0;
  std::uint64_t sender = 0;
  std::int64_t tag = 0;
  std::vector<std::uint8_t> data;
};

struct NoProcess {
  std::uint64_t process = 0;
};

struct ModuleBytes {
  ModuleHash hash;
  std::vector<std::uint8_t> wasm;
};

struct SpawnRequest {
  std::uint64_t request = 0;  // the asking node's number for it, echoed in the reply
  std::uint64_t parent = 0;   // the spawning process
  ModuleHash module;
  std::string function;
  std::string param_types;            // the arguments' wasm types, e.g. "i32 i64"
  std::vector<std::uint64_t> params;  // one slot per argument
  std::vector<std::uint8_t> config;   // the process config, encoded by the host layer
};

struct SpawnReply {
  enum class Result : std::uint8_t { kSpawned = 0, kNoSuchModule = 1, kRefused = 2 };
  std::uint64_t request = 0;
  Result result = Result::kSpawned;
  std::uint64_t process = 0;  // kSpawned
  std::string reason;         // kRefused: why, for the spawner's error
};

struct Kill {
  std::uint64_t process = 0;
};

// From process `from` (of the sending node) to process `to` (of the receiving one). It travels
// on the pair's message stream, so a message sent before a death arrives before the death.
struct Signal {
  enum class Kind : std::uint8_t {
    kLink = 1,            // `from` linked itself to `to` under `tag`
    kUnlink = 2,          // `from` removed its link to `to`
    kMonitor = 3,         // `from` monitors `to`
    kStopMonitoring = 4,  // `from` no longer monitors `to`
    kLinkDied = 5,        // `from`, linked to `to` under `tag`, ended for `reason`
    kMonitoredDied = 6,   // `from`, which `to` monitored, ended (or never existed)
  };
  // As runtime::DeathReason, less the loss of a node, which a node only ever learns itself.
  enum class Reason : std::uint8_t { kNormal = 0, kFailure = 1, kNoProcess = 2 };
  Kind kind = Kind::kLink;
  std::uint64_t from = 0;
  std::uint64_t to = 0;
  std::int64_t tag = 0;
  Reason reason = Reason::kNormal;
};

// Hot code upgrade rolled out over a cluster: the receiving node moves its processes that run
// module `from` to module `to` (its bytes shipped before, as for a spawn), as an upgrade of its
// own would (docs/hot-upgrade.md), and answers with the counts.
struct UpgradeRequest {
  std::uint64_t request = 0;  // the asking node's number for it, echoed in the reply
  ModuleHash from;
  ModuleHash to;
  bool purge = false;
  bool restart = false;
  std::uint64_t timeout_ms = 0;
};

struct UpgradeReply {
  std::uint64_t request = 0;
  std::string refused;  // not empty: the node refused the upgrade as a whole, and why
  std::uint64_t upgraded = 0;
  std::uint64_t failed = 0;
  std::uint64_t timed_out = 0;
  std::uint64_t restarted = 0;
  std::uint64_t purged = 0;
  std::string first_failure;
};

std::vector<std::uint8_t> encode(const RemoteMessage& record);
std::vector<std::uint8_t> encode(const NoProcess& record);
std::vector<std::uint8_t> encode(const ModuleBytes& record);
std::vector<std::uint8_t> encode(const SpawnRequest& record);
std::vector<std::uint8_t> encode(const SpawnReply& record);
std::vector<std::uint8_t> encode(const Kill& record);
std::vector<std::uint8_t> encode(const Signal& record);
std::vector<std::uint8_t> encode(const UpgradeRequest& record);
std::vector<std::uint8_t> encode(const UpgradeReply& record);

// Each decoder refuses a record that is short, has bytes left over or holds a value out of
// its range, naming the record kind.
Expected<RemoteMessage> decode_message(std::span<const std::uint8_t> bytes);
Expected<NoProcess> decode_no_process(std::span<const std::uint8_t> bytes);
Expected<ModuleBytes> decode_module(std::span<const std::uint8_t> bytes);
Expected<SpawnRequest> decode_spawn(std::span<const std::uint8_t> bytes);
Expected<SpawnReply> decode_spawn_reply(std::span<const std::uint8_t> bytes);
Expected<Kill> decode_kill(std::span<const std::uint8_t> bytes);
Expected<Signal> decode_signal(std::span<const std::uint8_t> bytes);
Expected<UpgradeRequest> decode_upgrade(std::span<const std::uint8_t> bytes);
Expected<UpgradeReply> decode_upgrade_reply(std::span<const std::uint8_t> bytes);

// The stream of messages from `sender` to `receiver`: one per pair, so a pair's messages stay
// in order while other pairs' interleave with them.
std::uint64_t message_stream(std::uint64_t sender, std::uint64_t receiver);

}  // namespace lunatic::cluster
