// Helpers for the preview1 host thunks: reach the process's WasiContext, and validate and copy
// guest memory. A bad guest pointer in a WASI call is EFAULT for the guest, never a trap.
// Internal to src/host/wasi. Thread: the thread running the calling process.
#pragma once

#include <sys/uio.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/execution/trap.hpp"
#include "engine/memory/guest_memory.hpp"
#include "host/guest_io.hpp"
#include "host/host_context.hpp"
#include "wasi/wasi_context.hpp"
#include "wasi/wasi_types.hpp"

namespace lunatic::wasi::guest {

inline constexpr std::uint32_t kSuccess = to_guest(Errno::kSuccess);
inline constexpr std::uint32_t kFault = to_guest(Errno::kFault);

// Returns: the calling process's WASI context, made on first use.
// Traps: kHostError when it cannot be made (e.g. a preopened directory vanished).
inline WasiContext& wasi_of(host::HostContext& context) { return context.wasi_context(); }

// Returns: true when a T can be stored at `ptr`.
template <class T>
bool writable(const engine::GuestMemory& memory, std::uint32_t ptr) {
  return memory.try_bytes(ptr, sizeof(T)).has_value();
}

// Stores `value` at `ptr`. Returns: success, or EFAULT.
template <class T>
std::uint32_t put(const engine::GuestMemory& memory, std::uint32_t ptr, T value) {
  return memory.try_store<T>(ptr, value) ? kSuccess : kFault;
}

// Returns: a copy of the guest string [ptr, ptr + len); EFAULT when out of bounds;
// ENAMETOOLONG past host::kMaxGuestString (no large copies for hostile lengths).
inline Result<std::string> read_string(const engine::GuestMemory& memory, std::uint32_t ptr,
                                       std::uint32_t len) {
  host::GuestString string = host::read_guest_string(memory, ptr, len);
  switch (string.status) {
    case host::GuestRead::kOk:
      return std::move(string.text);
    case host::GuestRead::kOutOfBounds:
      return Errno::kFault;
    case host::GuestRead::kTooLong:
      break;
  }
  return Errno::kNameTooLong;
}

// Returns: host spans over the iovec/ciovec array's buffers (host/guest_io.hpp); EFAULT when
// the array or a buffer is out of bounds.
inline Result<std::vector<std::span<std::uint8_t>>> read_iovecs(const engine::GuestMemory& memory,
                                                                std::uint32_t iovs,
                                                                std::uint32_t count) {
  auto buffers = host::read_guest_iovecs(memory, iovs, count);
  if (!buffers) return Errno::kFault;
  return std::move(*buffers);
}

}  // namespace lunatic::wasi::guest
