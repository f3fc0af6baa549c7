// How the lunatic::networking host functions exchange data with the guest: its buffers and
// buffer arrays in; results as Lunatic returns them (0 with a value, 1 with an error id, 9027
// on timeout) and addresses as DNS iterators out.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "host/host_context.hpp"
#include "host/return_codes.hpp"
#include "net/socket.hpp"
#include "net/socket_address.hpp"

namespace lunatic::host {

// The guest's bytes [ptr, ptr + len). Traps "buffer out of bounds".
std::span<std::uint8_t> guest_buffer(HostContext& context, std::uint32_t ptr, std::uint32_t len);

// The guest's (ptr u32, len u32) array at `iovecs_ptr` as spans of guest memory to read, as
// read_guest_iovecs reads it (its first kMaxGuestIovecs non-empty buffers). Traps when the
// array or one of those buffers is outside memory.
std::vector<std::span<const std::uint8_t>> guest_iovecs(HostContext& context,
                                                        std::uint32_t iovecs_ptr,
                                                        std::uint32_t iovecs_len);

// Stores an error id for `error_text` at `ptr`; returns kFailed.
std::uint32_t store_net_error(HostContext& context, std::uint32_t ptr, std::string error_text);
// Stores an error id for the OS error `error` (net::os_error_text) at `ptr`; returns kFailed.
std::uint32_t store_os_error(HostContext& context, std::uint32_t ptr, int error);

// The outcome of a socket operation as Lunatic returns it: kOk with the count at `opaque_ptr`,
// kFailed with an error id there, or kTimedOut (nothing written).
std::uint32_t store_io_result(HostContext& context, const net::IoResult& result,
                              std::uint32_t opaque_ptr);

// A new DNS iterator holding just `address`; returns its id.
std::uint64_t add_address_iterator(HostContext& context, const net::SocketAddress& address);

// A socket's local or peer address (net::local_address, net::peer_address) as a DNS iterator
// id at `id_ptr` (0), or an error id there (1).
std::uint32_t store_address_result(HostContext& context,
                                   const net::OsResult<net::SocketAddress>& address,
                                   std::uint32_t id_ptr);

}  // namespace lunatic::host
