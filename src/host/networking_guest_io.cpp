#include "host/networking_guest_io.hpp"

#include "host/guest_abi.hpp"
#include "net/resources.hpp"

namespace lunatic::host {

std::span<std::uint8_t> guest_buffer(HostContext& context, std::uint32_t ptr, std::uint32_t len) {
  auto bytes = context.memory().try_bytes(ptr, len);
  if (!bytes) fail("buffer out of bounds");
  return *bytes;
}

std::vector<std::span<const std::uint8_t>> guest_iovecs(HostContext& context,
                                                        std::uint32_t iovecs_ptr,
                                                        std::uint32_t iovecs_len) {
  auto buffers = read_guest_iovecs(context.memory(), iovecs_ptr, iovecs_len);
  if (!buffers) fail("buffer array or buffer out of bounds");
  return {buffers->begin(), buffers->end()};
}

std::uint32_t store_net_error(HostContext& context, std::uint32_t ptr, std::string error_text) {
  store_u64(context, ptr, add_error(context, std::move(error_text)));
  return kFailed;
}

std::uint32_t store_os_error(HostContext& context, std::uint32_t ptr, int error) {
  return store_net_error(context, ptr, net::os_error_text(error));
}

std::uint32_t store_io_result(HostContext& context, const net::IoResult& result,
                              std::uint32_t opaque_ptr) {
  if (result.timed_out) return kTimedOut;
  if (result.error != 0) return store_os_error(context, opaque_ptr, result.error);
  store_u64(context, opaque_ptr, static_cast<std::uint64_t>(result.value));
  return kOk;
}

std::uint64_t add_address_iterator(HostContext& context, const net::SocketAddress& address) {
  return context.dns_iterators.add(net::DnsIterator{{address}, 0});
}

std::uint32_t store_address_result(HostContext& context,
                                   const net::OsResult<net::SocketAddress>& address,
                                   std::uint32_t id_ptr) {
  if (!address.ok()) return store_os_error(context, id_ptr, address.error);
  store_u64(context, id_ptr, add_address_iterator(context, address.value));
  return kOk;
}

}  // namespace lunatic::host
