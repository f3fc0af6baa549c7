#include "engine/compile/artifact.hpp"

#include <nettle/sha2.h>

#include <cstring>
#include <nlohmann/json.hpp>

namespace lunatic::engine {
namespace {

constexpr char kMagic[8] = {'L', 'U', 'N', 'A', 'T', 'A', 'R', 'T'};
constexpr std::uint32_t kFormatVersion = 1;
constexpr size_t kHeaderSize = sizeof(kMagic) + 2 * sizeof(std::uint32_t);

nlohmann::json to_json(const ModuleDescription& module) {
  nlohmann::json imports = nlohmann::json::array();
  for (const auto& entry : module.imports) {
    imports.push_back(
        {{"module", entry.module}, {"name", entry.name}, {"signature", entry.signature}});
  }
  nlohmann::json exports = nlohmann::json::array();
  for (const auto& entry : module.exports) {
    exports.push_back({{"name", entry.name},
                       {"kind", extern_kind_name(entry.kind)},
                       {"signature", entry.signature}});
  }
  nlohmann::json json{{"imports", imports},
                      {"exports", exports},
                      {"functions", module.function_count},
                      {"table_bytes", module.initial_table_bytes}};
  if (module.memory) {
    json["memory"] = {{"initial_pages", module.memory->initial_pages}};
    if (module.memory->max_pages) json["memory"]["max_pages"] = *module.memory->max_pages;
  }
  return json;
}

ExternKind kind_from_name(const std::string& name) {
  for (auto kind : {ExternKind::kFunction, ExternKind::kTable, ExternKind::kMemory,
                    ExternKind::kGlobal, ExternKind::kTag}) {
    if (name == extern_kind_name(kind)) return kind;
  }
  throw std::runtime_error("unknown export kind " + name);
}

ModuleDescription module_from_json(const nlohmann::json& json) {
  ModuleDescription module;
  for (const auto& entry : json.at("imports")) {
    module.imports.push_back({entry.at("module").get<std::string>(),
                              entry.at("name").get<std::string>(), ExternKind::kFunction,
                              entry.at("signature").get<std::string>()});
  }
  for (const auto& entry : json.at("exports")) {
    module.exports.push_back({entry.at("name").get<std::string>(),
                              kind_from_name(entry.at("kind").get<std::string>()),
                              entry.at("signature").get<std::string>()});
  }
  module.function_count = json.at("functions").get<std::uint32_t>();
  module.initial_table_bytes = json.at("table_bytes").get<std::uint64_t>();
  if (json.contains("memory")) {
    MemoryDescription memory{json["memory"].at("initial_pages").get<std::uint64_t>(), std::nullopt};
    if (json["memory"].contains("max_pages")) {
      memory.max_pages = json["memory"]["max_pages"].get<std::uint64_t>();
    }
    module.memory = memory;
  }
  return module;
}

void put_u32(std::string& out, std::uint32_t value) {
  char bytes[4];
  std::memcpy(bytes, &value, 4);
  out.append(bytes, 4);
}

std::uint32_t get_u32(std::string_view bytes, size_t offset) {
  std::uint32_t value;
  std::memcpy(&value, bytes.data() + offset, 4);
  return value;
}

}  // namespace

// Nettle rather than OpenSSL: it needs no global initialization, which in OpenSSL 3 costs more
// than a whole cached module load.
std::string sha256_hex(std::span<const std::uint8_t> bytes) {
  sha256_ctx context;
  sha256_init(&context);
  sha256_update(&context, bytes.size(), bytes.data());
  std::uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_digest(&context, sizeof digest, digest);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  for (std::uint8_t byte : digest) {
    hex += kHex[byte >> 4];
    hex += kHex[byte & 15];
  }
  return hex;
}

std::string sha256_hex(std::string_view bytes) {
  return sha256_hex(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

std::string encode_artifact(const Contract& contract, std::string_view shared_object) {
  nlohmann::json json{{"engine_abi", contract.engine_abi},
                      {"engine_version", contract.engine_version},
                      {"memory_mode", memory_mode_name(contract.memory_mode)},
                      {"compiler", contract.compiler},
                      {"flags", contract.flags},
                      {"wasm_sha256", contract.wasm_sha256},
                      {"so_sha256", contract.so_sha256},
                      {"so_size", contract.so_size},
                      {"checked_functions", contract.checked_functions},
                      {"checked_loops", contract.checked_loops},
                      {"module", to_json(contract.module)}};
  std::string text = json.dump();
  std::string out(kMagic, sizeof kMagic);
  put_u32(out, kFormatVersion);
  put_u32(out, static_cast<std::uint32_t>(text.size()));
  out += text;
  out.append(shared_object);
  return out;
}

Expected<ArtifactView> decode_artifact(std::string_view bytes) {
  if (bytes.size() < kHeaderSize || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) {
    return make_error(Errc::kArtifactDamaged,
                      "not a lunatic artifact (bad magic or truncated header)");
  }
  if (get_u32(bytes, 8) != kFormatVersion) {
    return make_error(Errc::kContractMismatch,
                      "artifact format version " + std::to_string(get_u32(bytes, 8)) +
                          " is not supported (expected " + std::to_string(kFormatVersion) + ")");
  }
  const std::uint32_t contract_size = get_u32(bytes, 12);
  if (contract_size > bytes.size() - kHeaderSize) {
    return make_error(Errc::kArtifactDamaged, "artifact truncated inside its contract");
  }
  ArtifactView view;
  try {
    auto json = nlohmann::json::parse(bytes.substr(kHeaderSize, contract_size));
    Contract& c = view.contract;
    c.engine_abi = json.at("engine_abi").get<std::string>();
    c.engine_version = json.at("engine_version").get<std::string>();
    c.memory_mode = json.at("memory_mode").get<std::string>() == "guard" ? MemoryMode::kGuard
                                                                         : MemoryMode::kBounds;
    c.compiler = json.at("compiler").get<std::string>();
    c.flags = json.at("flags").get<std::string>();
    c.wasm_sha256 = json.at("wasm_sha256").get<std::string>();
    c.so_sha256 = json.at("so_sha256").get<std::string>();
    c.so_size = json.at("so_size").get<std::uint64_t>();
    c.checked_functions = json.at("checked_functions").get<std::uint32_t>();
    c.checked_loops = json.at("checked_loops").get<std::uint32_t>();
    c.module = module_from_json(json.at("module"));
  } catch (const std::exception& error) {
    return make_error(Errc::kArtifactDamaged,
                      std::string("artifact contract unreadable: ") + error.what());
  }
  if (view.contract.engine_abi != kEngineAbi) {
    return make_error(Errc::kContractMismatch,
                      "artifact built for engine ABI \"" + view.contract.engine_abi +
                          "\", this runtime is \"" + std::string(kEngineAbi) + "\"");
  }
  view.shared_object = bytes.substr(kHeaderSize + contract_size);
  if (view.shared_object.size() != view.contract.so_size ||
      sha256_hex(view.shared_object) != view.contract.so_sha256) {
    return make_error(Errc::kArtifactDamaged,
                      "artifact damaged: its code does not match the hash in its contract");
  }
  return view;
}

}  // namespace lunatic::engine
