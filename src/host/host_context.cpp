#include "host/host_context.hpp"

#include "engine/execution/trap.hpp"
#include "engine/loaded_module.hpp"
#include "host/code_change.hpp"
#include "host/code_upgrade.hpp"
#include "host/output_capture.hpp"
#include "host/sqlite_resources.hpp"
#include "wasi/wasi_config.hpp"
#include "wasi/wasi_context.hpp"

namespace lunatic::host {

HostContext::HostContext() = default;
HostContext::~HostContext() = default;

wasi::WasiContext& HostContext::wasi_context() {
  if (wasi != nullptr) return *wasi;
  if (config == nullptr) {
    throw engine::GuestTrap{engine::TrapKind::kHostError, "wasi: this process has no WASI context"};
  }
  // Exactly the args, environment and preopened directories of the process's config.
  wasi::WasiConfig wasi_config;
  wasi_config.args = config->args;
  for (const auto& [key, value] : config->env) wasi_config.env.push_back(key + "=" + value);
  wasi_config.preopens = config->preopened_dirs;
  if (output) wasi_config.stdout_fd = wasi_config.stderr_fd = output->fd();
  auto made = wasi::WasiContext::create(wasi_config);
  if (!made) throw engine::GuestTrap{engine::TrapKind::kHostError, "wasi: " + made.error().message};
  owned_wasi_ = std::move(*made);
  wasi = owned_wasi_.get();
  return *wasi;
}

}  // namespace lunatic::host
