#include "host/wasi_config_api.hpp"

#include <fmt/core.h>

#include "host/guest_abi.hpp"
#include "wasi/preopen_grant.hpp"

namespace lunatic::host {
namespace {

void config_add_environment_variable(HostContext& context, std::uint64_t id, std::uint32_t key,
                                     std::uint32_t key_len, std::uint32_t value,
                                     std::uint32_t value_len) {
  std::string k = guest_utf8(context, key, key_len);
  std::string v = guest_utf8(context, value, value_len);
  ProcessConfig& config = config_of(context, id);
  hold_config_bytes(
      context, static_cast<std::int64_t>(k.size() + v.size() + ProcessConfig::kStringOverhead));
  config.env.emplace_back(std::move(k), std::move(v));
}

void config_add_command_line_argument(HostContext& context, std::uint64_t id, std::uint32_t arg,
                                      std::uint32_t arg_len) {
  std::string a = guest_utf8(context, arg, arg_len);
  ProcessConfig& config = config_of(context, id);
  hold_config_bytes(context, static_cast<std::int64_t>(a.size() + ProcessConfig::kStringOverhead));
  config.args.push_back(std::move(a));
}

// config_preopen_dir(config, dir, len): the child sees the directory under the same name.
// Beyond Lunatic (which takes any host path): `dir` is a path in the caller's own view, inside
// one of its preopened directories, resolved as WASI resolves paths, so a process can pass on
// only what it can reach (wasi/preopen_grant.hpp). Traps: `dir` out of bounds or not UTF-8,
// unknown config, or `dir` not an existing directory inside the caller's preopens.
void config_preopen_dir(HostContext& context, std::uint64_t id, std::uint32_t dir,
                        std::uint32_t dir_len) {
  std::string path = guest_utf8(context, dir, dir_len);
  ProcessConfig& config = config_of(context, id);
  auto preopen = wasi::narrow_preopen(context.config->preopened_dirs, path);
  if (!preopen) fail(fmt::format("{}", preopen.error().message));
  hold_config_bytes(context,
                    static_cast<std::int64_t>(path.size() + ProcessConfig::kStringOverhead));
  config.preopened_dirs.push_back(std::move(*preopen));
}

}  // namespace

std::vector<engine::ImportFunction> wasi_config_functions() {
  return {
      host_function<&config_add_environment_variable, "lunatic::wasi",
                    "config_add_environment_variable">(),
      host_function<&config_add_command_line_argument, "lunatic::wasi",
                    "config_add_command_line_argument">(),
      host_function<&config_preopen_dir, "lunatic::wasi", "config_preopen_dir">(),
  };
}

}  // namespace lunatic::host
