#include "host/host_context.hpp"

#include "engine/instance.hpp"
#include "engine/loaded_module.hpp"
#include "engine/trap.hpp"
#include "wasi/wasi_context.hpp"

namespace lunatic::host {

HostContext::HostContext() = default;
HostContext::~HostContext() = default;

engine::GuestMemory HostContext::memory() const { return instance->memory(); }

wasi::WasiContext& HostContext::wasi_context() {
  if (wasi != nullptr) return *wasi;
  if (wasi_config == nullptr) {
    throw engine::GuestTrap{engine::TrapKind::kHostError, "wasi: this process has no WASI context"};
  }
  auto made = wasi::WasiContext::create(*wasi_config);
  if (!made) throw engine::GuestTrap{engine::TrapKind::kHostError, "wasi: " + made.error().message};
  owned_wasi_ = std::move(*made);
  wasi = owned_wasi_.get();
  return *wasi;
}

}  // namespace lunatic::host
