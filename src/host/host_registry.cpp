#include "engine/instance.hpp"
#include "host/distributed_api.hpp"
#include "host/engine_hooks.hpp"
#include "host/host_function.hpp"
#include "host/message_api.hpp"
#include "host/networking_api.hpp"
#include "host/process_api.hpp"
#include "host/registry_api.hpp"
#include "host/support_api.hpp"
#include "host/timer_api.hpp"
#include "wasi/preview1.hpp"

namespace lunatic::host {

void HostRegistry::add(HostFunction function) { functions_.push_back(std::move(function)); }

void HostRegistry::add_all(std::vector<HostFunction> functions) {
  for (auto& function : functions) add(std::move(function));
}

const HostFunction* HostRegistry::find(std::string_view module, std::string_view name) const {
  for (const auto& function : functions_) {
    if (function.module == module && function.name == name) return &function;
  }
  return nullptr;
}

const HostRegistry& default_host_registry() {
  static const HostRegistry registry = [] {
    HostRegistry r;
    r.add_all(engine_hook_functions());
    r.add_all(wasi::preview1_functions());
    r.add_all(process_functions());
    r.add_all(message_functions());
    r.add_all(timer_functions());
    r.add_all(registry_functions());
    r.add_all(support_functions());
    r.add_all(distributed_functions());
    r.add_all(dns_functions());
    r.add_all(tcp_functions());
    r.add_all(udp_functions());
    r.add_all(tls_functions());
    return r;
  }();
  return registry;
}

}  // namespace lunatic::host
