#include "host/guest_io.hpp"

#include <algorithm>
#include <cstring>

namespace lunatic::host {
namespace {

constexpr std::size_t kIovecBytes = 8;  // buf u32 @0, buf_len u32 @4

}  // namespace

GuestString read_guest_string(const engine::GuestMemory& memory, std::uint32_t ptr,
                              std::uint32_t len) {
  auto bytes = memory.try_bytes(ptr, len);
  if (!bytes) return {GuestRead::kOutOfBounds, {}};
  if (len > kMaxGuestString) return {GuestRead::kTooLong, {}};
  // SAFETY: the span covers exactly `len` checked bytes of guest memory; they are copied.
  return {GuestRead::kOk, std::string(reinterpret_cast<const char*>(bytes->data()), bytes->size())};
}

std::optional<std::vector<std::span<std::uint8_t>>> read_guest_iovecs(
    const engine::GuestMemory& memory, std::uint32_t array_ptr, std::uint32_t count) {
  auto array = memory.try_bytes(array_ptr, std::uint64_t{count} * kIovecBytes);
  if (!array) return std::nullopt;
  const std::uint32_t used = std::min(count, kMaxGuestIovecs);
  std::vector<std::span<std::uint8_t>> buffers;
  buffers.reserve(used);
  for (std::uint32_t i = 0; i < used; ++i) {
    std::uint32_t buffer_ptr = 0;
    std::uint32_t buffer_len = 0;
    std::memcpy(&buffer_ptr, array->data() + i * kIovecBytes, 4);
    std::memcpy(&buffer_len, array->data() + i * kIovecBytes + 4, 4);
    if (buffer_len == 0) continue;  // touches no memory
    auto bytes = memory.try_bytes(buffer_ptr, buffer_len);
    if (!bytes) return std::nullopt;
    buffers.push_back(*bytes);
  }
  return buffers;
}

}  // namespace lunatic::host
