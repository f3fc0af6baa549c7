#include "host/host_imports.hpp"

#include "host/distributed_api.hpp"
#include "host/error_api.hpp"
#include "host/global_registry_api.hpp"
#include "host/instrumentation_api.hpp"
#include "host/message_api.hpp"
#include "host/metrics_api.hpp"
#include "host/networking_api.hpp"
#include "host/process_api.hpp"
#include "host/registry_api.hpp"
#include "host/sqlite_api.hpp"
#include "host/timer_api.hpp"
#include "host/trap_api.hpp"
#include "host/upgrade_api.hpp"
#include "host/version_api.hpp"
#include "host/wasi/preview1.hpp"
#include "host/wasi_config_api.hpp"

namespace lunatic::host {

const engine::ImportTable& host_imports() {
  static const engine::ImportTable imports = [] {
    engine::ImportTable r;
    r.add_all(instrumentation_functions());
    r.add_all(wasi::preview1_functions());
    r.add_all(process_functions());
    r.add_all(message_functions());
    r.add_all(metrics_functions());
    r.add_all(timer_functions());
    r.add_all(registry_functions());
    r.add_all(global_registry_functions());
    r.add_all(error_functions());
    r.add_all(version_functions());
    r.add_all(trap_functions());
    r.add_all(wasi_config_functions());
    r.add_all(distributed_functions());
    r.add_all(dns_functions());
    r.add_all(tcp_functions());
    r.add_all(udp_functions());
    r.add_all(tls_functions());
    r.add_all(sqlite_functions());
    r.add_all(upgrade_functions());
    return r;
  }();
  return imports;
}

}  // namespace lunatic::host
