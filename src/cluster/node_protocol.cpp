#include "cluster/node_protocol.hpp"

#include <algorithm>

#include "cluster/wire_codec.hpp"

namespace lunatic::cluster {
namespace {

// A spawn's function name and arguments are bounded as a guest's are (host/guest_io.hpp reads
// strings up to 128 KiB; a wasm function has at most 1,000 parameters).
constexpr std::size_t kMaxFunctionName = 128 * 1024;
constexpr std::size_t kMaxArguments = 1000;
constexpr std::size_t kMaxParamTypes = 4 * kMaxArguments;  // "i64 " each

Error malformed(const char* kind) {
  return make_error(Errc::kInvalidArgument, std::string("a malformed ") + kind + " record");
}

void hash(WireWriter& out, const ModuleHash& value) { out.text(value); }

bool read_hash(WireReader& in, ModuleHash& value) {
  value = in.text().value_or("");
  return value.size() == kModuleHashLength && std::all_of(value.begin(), value.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::vector<std::uint8_t> to_vector(std::span<const std::uint8_t> bytes) {
  return {bytes.begin(), bytes.end()};
}

}  // namespace

std::vector<std::uint8_t> encode(const RemoteMessage& record) {
  WireWriter out;
  out.u64(record.receiver);
  out.u64(record.sender);
  out.i64(record.tag);
  out.bytes(record.data);
  return out.take();
}

std::vector<std::uint8_t> encode(const NoProcess& record) {
  WireWriter out;
  out.u64(record.process);
  return out.take();
}

std::vector<std::uint8_t> encode(const ModuleBytes& record) {
  WireWriter out;
  hash(out, record.hash);
  out.bytes(record.wasm);
  return out.take();
}

std::vector<std::uint8_t> encode(const SpawnRequest& record) {
  WireWriter out;
  out.u64(record.request);
  out.u64(record.parent);
  hash(out, record.module);
  out.text(record.function);
  out.text(record.param_types);
  out.u32(static_cast<std::uint32_t>(record.params.size()));
  for (const std::uint64_t param : record.params) out.u64(param);
  out.bytes(record.config);
  return out.take();
}

std::vector<std::uint8_t> encode(const SpawnReply& record) {
  WireWriter out;
  out.u64(record.request);
  out.u8(static_cast<std::uint8_t>(record.result));
  out.u64(record.process);
  out.text(record.reason);
  return out.take();
}

std::vector<std::uint8_t> encode(const Kill& record) {
  WireWriter out;
  out.u64(record.process);
  return out.take();
}

std::vector<std::uint8_t> encode(const Signal& record) {
  WireWriter out;
  out.u8(static_cast<std::uint8_t>(record.kind));
  out.u64(record.from);
  out.u64(record.to);
  out.i64(record.tag);
  out.u8(static_cast<std::uint8_t>(record.reason));
  return out.take();
}

Expected<RemoteMessage> decode_message(std::span<const std::uint8_t> bytes) {
  WireReader in(bytes);
  RemoteMessage record;
  record.receiver = in.u64().value_or(0);
  record.sender = in.u64().value_or(0);
  record.tag = in.i64().value_or(0);
  if (const auto data = in.bytes()) record.data = to_vector(*data);
  if (!in.at_end()) return malformed("message");
  return record;
}

Expected<NoProcess> decode_no_process(std::span<const std::uint8_t> bytes) {
  WireReader in(bytes);
  NoProcess record{in.u64().value_or(0)};
  if (!in.at_end()) return malformed("no-process");
  return record;
}

Expected<ModuleBytes> decode_module(std::span<const std::uint8_t> bytes) {
  WireReader in(bytes);
  ModuleBytes record;
  const bool hashed = read_hash(in, record.hash);
  if (const auto wasm = in.bytes()) record.wasm = to_vector(*wasm);
  if (!hashed || !in.at_end()) return malformed("module");
  return record;
}

Expected<SpawnRequest> decode_spawn(std::span<const std::uint8_t> bytes) {
  WireReader in(bytes);
  SpawnRequest record;
  record.request = in.u64().value_or(0);
  record.parent = in.u64().value_or(0);
  const bool hashed = read_hash(in, record.module);
  record.function = in.text().value_or("");
  record.param_types = in.text().value_or("");
  const std::uint32_t count = in.u32().value_or(0);
  if (!hashed || record.function.size() > kMaxFunctionName ||
      record.param_types.size() > kMaxParamTypes || count > kMaxArguments) {
    return malformed("spawn");
  }
  for (std::uint32_t i = 0; i < count && in.ok(); ++i)
    record.params.push_back(in.u64().value_or(0));
  if (const auto config = in.bytes()) record.config = to_vector(*config);
  if (!in.at_end()) return malformed("spawn");
  return record;
}

std::vector<std::uint8_t> encode(const UpgradeRequest& record) {
  WireWriter out;
  out.u64(record.request);
  out.text(record.from);
  out.text(record.to);
  out.u8(static_cast<std::uint8_t>((record.purge ? 1 : 0) | (record.restart ? 2 : 0)));
  out.u64(record.timeout_ms);
  return out.take();
}

std::vector<std::uint8_t> encode(const UpgradeReply& record) {
  WireWriter out;
  out.u64(record.request);
  out.text(record.refused);
  for (std::uint64_t count :
       {record.upgraded, record.failed, record.timed_out, record.restarted, record.purged}) {
    out.u64(count);
  }
  out.text(record.first_failure);
  return out.take();
}

Expected<UpgradeRequest> decode_upgrade(std::span<const std::uint8_t> bytes) {
  WireReader in(bytes);
  UpgradeRequest record;
  record.request = in.u64().value_or(0);
  const bool hashed = read_hash(in, record.from) && read_hash(in, record.to);
  const std::uint8_t flags = in.u8().value_or(0xFF);
  record.timeout_ms = in.u64().value_or(0);
  if (!hashed || !in.at_end() || flags > 3) return malformed("upgrade");
  record.purge = (flags & 1) != 0;
  record.restart = (flags & 2) != 0;
  return record;
}

Expected<UpgradeReply> decode_upgrade_reply(std::span<const std::uint8_t> bytes) {
  WireReader in(bytes);
  UpgradeReply record;
  record.request = in.u64().value_or(0);
  record.refused = in.text().value_or("");
  for (std::uint64_t* count :
       {&record.upgraded, &record.failed, &record.timed_out, &record.restarted, &record.purged}) {
    *count = in.u64().value_or(0);
  }
  record.first_failure = in.text().value_or("");
  if (!in.at_end()) return malformed("upgrade reply");
  return record;
}

Expected<SpawnReply> decode_spawn_reply(std::span<const std::uint8_t> bytes) {
  WireReader in(bytes);
  SpawnReply record;
  record.request = in.u64().value_or(0);
  const std::uint8_t result = in.u8().value_or(0xFF);
  record.process = in.u64().value_or(0);
  record.reason = in.text().value_or("");
  if (!in.at_end() || result > static_cast<std::uint8_t>(SpawnReply::Result::kRefused)) {
    return malformed("spawn reply");
  }
  record.result = static_cast<SpawnReply::Result>(result);
  return record;
}

Expected<Kill> decode_kill(std::span<const std::uint8_t> bytes) {
  WireReader in(bytes);
  Kill record{in.u64().value_or(0)};
  if (!in.at_end()) return malformed("kill");
  return record;
}

Expected<Signal> decode_signal(std::span<const std::uint8_t> bytes) {
  WireReader in(bytes);
  Signal record;
  const std::uint8_t kind = in.u8().value_or(0);
  record.from = in.u64().value_or(0);
  record.to = in.u64().value_or(0);
  record.tag = in.i64().value_or(0);
  const std::uint8_t reason = in.u8().value_or(0xFF);
  if (!in.at_end() || kind < static_cast<std::uint8_t>(Signal::Kind::kLink) ||
      kind > static_cast<std::uint8_t>(Signal::Kind::kMonitoredDied) ||
      reason > static_cast<std::uint8_t>(Signal::Reason::kNoProcess)) {
    return malformed("signal");
  }
  record.kind = static_cast<Signal::Kind>(kind);
  record.reason = static_cast<Signal::Reason>(reason);
  return record;
}

std::uint64_t message_stream(std::uint64_t sender, std::uint64_t receiver) {
  // Stream 0 carries modules, spawns and kills; a pair's stream is never 0.
  const std::uint64_t mixed = sender * 0x9E37'79B9'7F4A'7C15 ^ receiver;
  return mixed == 0 ? 1 : mixed;
}

}  // namespace lunatic::cluster
