// lunatic::networking DNS: resolve("host:port") on the resolver threads (the calling process
// waits, its worker does not), then the addresses one at a time through an iterator.
#include "host/networking_api.hpp"
#include "host/networking_context.hpp"
#include "host/networking_guest_address.hpp"
#include "host/networking_guest_io.hpp"
#include "net/dns_resolver.hpp"

namespace lunatic::host {
namespace {

// resolve(name_ptr, name_len, timeout_ms, id_ptr) -> i32: 0 with a DNS iterator id, 1 with an
// error id, 9027 when the timeout passed first. Traps: the name is not UTF-8 or out of bounds.
std::uint32_t resolve(HostContext& context, std::uint32_t name_ptr, std::uint32_t name_len,
                      std::uint64_t timeout_ms, std::uint32_t id_ptr) {
  const std::string name = guest_utf8(context, name_ptr, name_len);
  std::string host, port;
  if (!net::split_host_port(name, host, port)) {
    return store_net_error(context, id_ptr, "invalid socket address");
  }
  auto resolved = resolve_waiting(context, host, port, deadline_after(timeout_ms));
  if (resolved.timed_out) return kTimedOut;
  if (!resolved.error.empty()) return store_net_error(context, id_ptr, resolved.error);
  store_u64(context, id_ptr,
            context.dns_iterators.add(net::DnsIterator{std::move(resolved.addresses), 0}));
  return kOk;
}

void drop_dns_iterator(HostContext& context, std::uint64_t id) {
  drop_resource(context.dns_iterators, id, "dns iterator");
}

// resolve_next(iterator, type_ptr, addr_ptr, port_ptr, flow_info_ptr, scope_id_ptr) -> i32: 0
// with the next address written out, 1 when there are no more.
std::uint32_t resolve_next(HostContext& context, std::uint64_t id, std::uint32_t type_ptr,
                           std::uint32_t address_ptr, std::uint32_t port_ptr,
                           std::uint32_t flow_info_ptr, std::uint32_t scope_id_ptr) {
  net::DnsIterator* iterator = &resource_of(context.dns_iterators, id, "dns iterator");
  if (iterator->next >= iterator->addresses.size()) return kFailed;
  store_socket_address(context.memory(), iterator->addresses[iterator->next], type_ptr, address_ptr,
                       port_ptr, flow_info_ptr, scope_id_ptr);
  ++iterator->next;
  return kOk;
}

}  // namespace

std::vector<engine::ImportFunction> dns_functions() {
  constexpr ImportName m{"lunatic::networking"};
  return {
      host_function<&resolve, m, "resolve">(),
      host_function<&drop_dns_iterator, m, "drop_dns_iterator">(),
      host_function<&resolve_next, m, "resolve_next">(),
  };
}

}  // namespace lunatic::host
