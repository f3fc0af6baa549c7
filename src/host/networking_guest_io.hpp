// How the lunatic::networking host functions exchange data with the guest: its buffers and
// buffer arrays in; results as Lunatic returns them (0 with a value, 1 with an error id, 9027
// on timeout) and addresses as DNS iterators out.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "host/host_context.hpp"
#include "net/socket.hpp"
#include "net/socket_address.hpp"

namespace lunatic::host {

inline constexpr std::uint32_t kNetOk = 0;
inline constexpr std::uint32_t kNetError = 1;
inline constexpr std::uint32_t kNetTimedOut = 9027;

// The guest's bytes [ptr, ptr + len). Traps "lunatic::networking::<where>: buffer out of bounds".
std::span<std::uint8_t> guest_buffer(HostContext& context, std::uint32_t ptr, std::uint32_t len,
                                     const char* where);

// The guest's (ptr u32, len u32) array at `iovecs_ptr` as spans of guest memory to read. Traps
// when the array or any buffer is outside memory.
std::vector<std::span<const std::uint8_t>> guest_iovecs(HostContext& context,
                                                        std::uint32_t iovecs_ptr,
                                                        std::uint32_t iovecs_len,
                                                        const char* where);

// Stores an error id for `error_text` at `ptr`; returns kNetError.
std::uint32_t store_net_error(HostContext& context, std::uint32_t ptr, std::string error_text,
                              const char* where);
// Stores an error id for the OS error `error` (net::os_error_text) at `ptr`; returns kNetError.
std::uint32_t store_os_error(HostContext& context, std::uint32_t ptr, int error, const char* where);

// The outcome of a socket operation as Lunatic returns it: 0 with the count at `opaque_ptr`,
// 1 with an error id there, or 9027 on timeout (nothing written).
std::uint32_t store_io_result(HostContext& context, const net::IoResult& result,
                              std::uint32_t opaque_ptr, const char* where);

// A new DNS iterator holding just `address`; returns its id.
std::uint64_t add_address_iterator(HostContext& context, const net::SocketAddress& address);

// A socket's local or peer address (net::local_address, net::peer_address) as a DNS iterator
// id at `id_ptr` (0), or an error id there (1).
std::uint32_t store_address_result(HostContext& context,
                                   const net::OsResult<net::SocketAddress>& address,
                                   std::uint32_t id_ptr, const char* where);

}  // namespace lunatic::host
