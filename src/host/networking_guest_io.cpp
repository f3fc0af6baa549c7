#include "host/networking_guest_io.hpp"

#include <cstring>

#include <fmt/core.h>

#include "host/guest_abi.hpp"
#include "net/resources.hpp"

namespace lunatic::host {

std::span<std::uint8_t> guest_buffer(HostContext& context, std::uint32_t ptr, std::uint32_t len,
                                     const char* where) {
  auto bytes = context.memory().try_bytes(ptr, len);
  if (!bytes) fail(fmt::format("lunatic::networking::{}: buffer out of bounds", where));
  return *bytes;
}

std::vector<std::span<const std::uint8_t>> guest_iovecs(HostContext& context,
                                                        std::uint32_t iovecs_ptr,
                                                        std::uint32_t iovecs_len,
                                                        const char* where) {
  const auto memory = context.memory();
  auto table = memory.try_bytes(iovecs_ptr, std::uint64_t{iovecs_len} * 8);
  if (!table) fail(fmt::format("lunatic::networking::{}: buffer array out of bounds", where));
  std::vector<std::span<const std::uint8_t>> buffers;
  buffers.reserve(iovecs_len);
  for (std::uint32_t i = 0; i < iovecs_len; ++i) {
    std::uint32_t ptr, len;
    std::memcpy(&ptr, table->data() + 8 * i, 4);
    std::memcpy(&len, table->data() + 8 * i + 4, 4);
    buffers.push_back(guest_buffer(context, ptr, len, where));
  }
  return buffers;
}

std::uint32_t store_net_error(HostContext& context, std::uint32_t ptr, std::string error_text,
                              const char* where) {
  store_u64(context, ptr, add_error(context, std::move(error_text)), where);
  return kNetError;
}

std::uint32_t store_os_error(HostContext& context, std::uint32_t ptr, int error,
                             const char* where) {
  return store_net_error(context, ptr, net::os_error_text(error), where);
}

std::uint32_t store_io_result(HostContext& context, const net::IoResult& result,
                              std::uint32_t opaque_ptr, const char* where) {
  if (result.timed_out) return kNetTimedOut;
  if (result.error != 0) return store_os_error(context, opaque_ptr, result.error, where);
  store_u64(context, opaque_ptr, static_cast<std::uint64_t>(result.value), where);
  return kNetOk;
}

std::uint64_t add_address_iterator(HostContext& context, const net::SocketAddress& address) {
  return context.dns_iterators.add(net::DnsIterator{{address}, 0});
}

std::uint32_t store_address_result(HostContext& context,
                                   const net::OsResult<net::SocketAddress>& address,
                                   std::uint32_t id_ptr, const char* where) {
  if (!address.ok()) return store_os_error(context, id_ptr, address.error, where);
  store_u64(context, id_ptr, add_address_iterator(context, address.value), where);
  return kNetOk;
}

}  // namespace lunatic::host
