#include "host/networking_context.hpp"

#include <string>

#include "host/environment.hpp"
#include "host/networking_guest_io.hpp"
#include "net/socket_service.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::host {

void fail_unknown_id(const char* what, std::uint64_t id) {
  fail(std::string(what) + " id " + std::to_string(id) + " does not exist");
}

runtime::Reactor& reactor_of(HostContext& context) {
  return environment_of(context).scheduler().reactor();
}

runtime::Blocking& blocking_of(HostContext& context) {
  if (context.blocking == nullptr) fail("not inside a runtime process");
  return *context.blocking;
}

bool network_permits(HostContext& context, net::NetworkAccess access,
                     const net::SocketAddress& address) {
  return !context.config || context.config->network.permits(access, address);
}

bool check_network_access(HostContext& context, net::NetworkAccess access,
                          const net::SocketAddress& address, std::uint32_t error_ptr) {
  if (network_permits(context, access, address)) return true;
  store_net_error(context, error_ptr, net::denied_text(access, address));
  return false;
}

std::shared_ptr<net::Socket> bound_socket(HostContext& context, const net::SocketAddress& address,
                                          BindSocket bind, std::uint32_t id_ptr) {
  if (!check_network_access(context, net::NetworkAccess::kBind, address, id_ptr)) {
    return nullptr;
  }
  auto bound = bind(reactor_of(context), address);
  if (!bound.ok()) {
    store_os_error(context, id_ptr, bound.error);
    return nullptr;
  }
  return std::move(bound.value);
}

std::shared_ptr<net::Socket> accept_socket(HostContext& context, net::Socket& listening,
                                           std::uint32_t id_ptr, std::uint32_t peer_ptr) {
  auto& blocking = blocking_of(context);
  auto accepted = net::tcp_accept(reactor_of(context), blocking, listening);
  if (!accepted.ok()) {
    store_u64(context, peer_ptr, 0);
    store_os_error(context, id_ptr, accepted.error);
    return nullptr;
  }
  store_u64(context, peer_ptr, add_address_iterator(context, accepted.value.peer));
  return std::move(accepted.value.socket);
}

net::Resolved resolve_waiting(HostContext& context, const std::string& host,
                              const std::string& port,
                              std::optional<runtime::Clock::time_point> deadline) {
  if (!context.config->network.permits_any(net::NetworkAccess::kConnect)) {
    return {{}, "Permission denied: name lookups are not allowed by this process's config", false};
  }
  return net::resolve(blocking_of(context), context.last_lookup, host, port, deadline);
}

}  // namespace lunatic::host
