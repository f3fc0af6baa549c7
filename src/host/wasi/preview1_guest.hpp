// Helpers for the preview1 host thunks: reach the process's WasiContext, and validate and copy
// guest memory. A bad guest pointer in a WASI call is EFAULT for the guest, never a trap.
// Internal to src/wasi. Thread: the thread running the calling process.
#pragma once

#include <sys/uio.h>

#include <climits>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/memory/guest_memory.hpp"
#include "engine/execution/trap.hpp"
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
// ENAMETOOLONG for strings far beyond any path (no large copies for hostile lengths).
inline Result<std::string> read_string(const engine::GuestMemory& memory, std::uint32_t ptr,
                                       std::uint32_t len) {
  constexpr std::uint32_t kMaxString = 64 * 1024;
  auto bytes = memory.try_bytes(ptr, len);
  if (!bytes) return Errno::kFault;
  if (len > kMaxString) return Errno::kNameTooLong;
  // SAFETY: the span covers exactly `len` validated bytes of guest memory; they are copied.
  return std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size());
}

// Reads an iovec/ciovec array (8 bytes each: buf u32 @0, buf_len u32 @4) and checks every
// buffer. Only the first IOV_MAX entries are used: a shorter transfer is always allowed.
// Returns: host spans over the buffers; EFAULT when the array or a buffer is out of bounds.
inline Result<std::vector<std::span<std::uint8_t>>> read_iovecs(const engine::GuestMemory& memory,
                                                                std::uint32_t iovs,
                                                                std::uint32_t count) {
  auto array = memory.try_bytes(iovs, static_cast<std::uint64_t>(count) * kIovecSize);
  if (!array) return Errno::kFault;
  std::vector<std::span<std::uint8_t>> buffers;
  std::uint32_t used = count < IOV_MAX ? count : IOV_MAX;
  buffers.reserve(used);
  for (std::uint32_t i = 0; i < used; ++i) {
    std::span<const std::uint8_t> entry = array->subspan(std::size_t{i} * kIovecSize, kIovecSize);
    auto buf = layout::get<std::uint32_t>(entry, 0);
    auto len = layout::get<std::uint32_t>(entry, 4);
    if (len == 0) continue;  // touches no memory
    auto bytes = memory.try_bytes(buf, len);
    if (!bytes) return Errno::kFault;
    // SAFETY: the span is exactly the checked [buf, buf + len); readv/writev below stay in it.
    buffers.push_back(*bytes);
  }
  return buffers;
}

}  // namespace lunatic::wasi::guest
