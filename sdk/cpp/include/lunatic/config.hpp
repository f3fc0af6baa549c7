// Config: what a spawned process may do and what it sees (memory, fuel, permissions, args, env,
// directories). Owns its lunatic::process config id and drops it when destroyed. A new config
// denies everything (as in Lunatic); the setters return *this so a config reads as one statement.
#pragma once

#include <lunatic/abi.h>

#include <cstdint>
#include <lunatic/detail/message_io.hpp>
#include <lunatic/result.hpp>
#include <span>
#include <string_view>
#include <utility>

namespace lunatic {

class Config {
 public:
  // kPermission when the caller's own config forbids creating configs.
  static Result<Config> create() {
    const std::int64_t id = lunatic_create_config();
    if (id < 0) return Error{ErrorKind::kPermission, "this process may not create configs"};
    return Config(id);
  }

  Config(Config&& other) noexcept : id_(std::exchange(other.id_, -1)) {}
  Config& operator=(Config&& other) noexcept {
    if (this != &other) {
      drop();
      id_ = std::exchange(other.id_, -1);
    }
    return *this;
  }
  Config(const Config&) = delete;
  Config& operator=(const Config&) = delete;
  ~Config() { drop(); }

  // memory.grow fails past `bytes` in processes spawned with this config.
  Config& max_memory(std::uint64_t bytes) {
    lunatic_config_set_max_memory(id(), bytes);
    return *this;
  }
  // 0: no limit. A process past its fuel dies ("out of fuel").
  Config& max_fuel(std::uint64_t units) {
    lunatic_config_set_max_fuel(id(), units);
    return *this;
  }
  Config& can_spawn_processes(bool can) {
    lunatic_config_set_can_spawn_processes(id(), can ? 1 : 0);
    return *this;
  }
  Config& can_compile_modules(bool can) {
    lunatic_config_set_can_compile_modules(id(), can ? 1 : 0);
    return *this;
  }
  Config& can_create_configs(bool can) {
    lunatic_config_set_can_create_configs(id(), can ? 1 : 0);
    return *this;
  }
  // Network permissions (beyond Lunatic, whose configs allow all): false denies every connect
  // and bind until allow_connect/allow_bind rules say otherwise.
  Config& can_use_network(bool can) {
    lunatic_config_set_can_use_network(id(), can ? 1 : 0);
    return *this;
  }
  // Allows connecting (or binding) to addresses whose first `prefix_length` bits match `ip`
  // (4 or 16 bytes) on ports in [port_min, port_max]; the config becomes restricted.
  Config& allow_connect(std::span<const std::uint8_t> ip, std::uint32_t prefix_length,
                        std::uint16_t port_min = 0, std::uint16_t port_max = 65535) {
    return allow_network(0, ip, prefix_length, port_min, port_max);
  }
  Config& allow_bind(std::span<const std::uint8_t> ip, std::uint32_t prefix_length,
                     std::uint16_t port_min = 0, std::uint16_t port_max = 65535) {
    return allow_network(1, ip, prefix_length, port_min, port_max);
  }
  bool can_use_network() const { return lunatic_config_can_use_network(id()) != 0; }

  // The first argument added is the child's argv[0].
  Config& argument(std::string_view arg) {
    lunatic_config_add_command_line_argument(id(), detail::address(arg.data()),
                                             static_cast<std::uint32_t>(arg.size()));
    return *this;
  }
  Config& environment(std::string_view key, std::string_view value) {
    lunatic_config_add_environment_variable(
        id(), detail::address(key.data()), static_cast<std::uint32_t>(key.size()),
        detail::address(value.data()), static_cast<std::uint32_t>(value.size()));
    return *this;
  }
  // The child sees the host directory `dir` under the same name.
  Config& preopen_dir(std::string_view dir) {
    lunatic_config_preopen_dir(id(), detail::address(dir.data()),
                               static_cast<std::uint32_t>(dir.size()));
    return *this;
  }

  std::uint64_t max_memory() const { return lunatic_config_get_max_memory(id()); }
  std::uint64_t max_fuel() const { return lunatic_config_get_max_fuel(id()); }

  std::uint64_t id() const { return static_cast<std::uint64_t>(id_); }
  // The id spawn wants: -1 (the caller's own config) for nullptr.
  static std::int64_t id_of(const Config* config) { return config ? config->id_ : -1; }

 private:
  explicit Config(std::int64_t id) : id_(id) {}
  void drop() {
    if (id_ >= 0) lunatic_drop_config(static_cast<std::uint64_t>(id_));
    id_ = -1;
  }

  Config& allow_network(std::uint32_t access, std::span<const std::uint8_t> ip,
                        std::uint32_t prefix_length, std::uint16_t port_min,
                        std::uint16_t port_max) {
    lunatic_config_allow_network(id(), access, ip.size() == 16 ? 6 : 4, detail::address(ip.data()),
                                 prefix_length, port_min, port_max);
    return *this;
  }

  std::int64_t id_;
};

}  // namespace lunatic
