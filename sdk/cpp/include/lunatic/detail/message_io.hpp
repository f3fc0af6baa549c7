// Moving bytes and typed values through the scratch message of lunatic::message. Values are
// encoded with MessagePack into a buffer on the stack, so sending or receiving a message of up
// to msgpack::Buffer::kInlineBytes allocates nothing.
#pragma once

#include <lunatic/abi.h>

#include <cstdint>
#include <lunatic/msgpack.hpp>
#include <lunatic/result.hpp>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace lunatic::detail {

inline std::uint32_t address(const void* pointer) {
  return static_cast<std::uint32_t>(reinterpret_cast<std::uintptr_t>(pointer));
}

// Starts a message with `tag` holding `value`, encoded; the caller sends it (send, send_after).
// The message exists before the value is encoded: encoding a socket pushes it into the message.
template <class T>
LUNATIC_INLINE void build_message(std::int64_t tag, const T& value) {
  lunatic_message_create_data(tag, 0);
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    const msgpack::IntegerBytes encoded(value);  // integers need no Buffer
    lunatic_message_write_data(address(encoded.bytes), static_cast<std::uint32_t>(encoded.size));
  } else {
    msgpack::Buffer buffer;
    msgpack::Writer writer(buffer);
    msgpack::encode(writer, value);
    lunatic_message_write_data(address(buffer.data()), static_cast<std::uint32_t>(buffer.size()));
  }
}

template <class T>
LUNATIC_INLINE void send_value(std::uint64_t to, std::int64_t tag, const T& value) {
  build_message(tag, value);
  lunatic_message_send(to);
}

// Decodes the data message in the scratch area as a T.
template <class T>
LUNATIC_INLINE Result<T> read_message() {
  if constexpr (std::is_integral_v<T> && !std::is_same_v<T, bool>) {
    // Integers, the commonest small messages, skip the general decoder: one read into a few
    // bytes. Anything but exactly one integer that fits T goes the general way, for its error.
    std::uint8_t bytes[16];
    const std::uint32_t got = lunatic_message_read_data(address(bytes), sizeof bytes);
    if (got < sizeof bytes) {
      const std::span<const std::uint8_t> message(bytes, got);
      if (std::optional<T> value = msgpack::integer_exactly<T>(message)) return *value;
      return msgpack::from_bytes<T>(message);
    }
    lunatic_message_seek_data(0);  // longer than any integer: the general path reports it
  }
  constexpr auto kInline = static_cast<std::uint32_t>(msgpack::Buffer::kInlineBytes);
  msgpack::Buffer buffer;
  // Most messages fit the inline bytes: one read, and no data_size call.
  const std::uint32_t got = lunatic_message_read_data(address(buffer.assign(kInline)), kInline);
  if (got < kInline) {
    buffer.truncate(got);
  } else if (const auto size = static_cast<std::uint32_t>(lunatic_message_data_size());
             size > got) {
    lunatic_message_read_data(address(buffer.extend(size - got)), size - got);
  }
  return msgpack::from_bytes<T>(buffer.bytes());
}

// The text of a host error id, which is dropped.
inline std::string take_host_error(std::uint64_t error_id) {
  std::string text(lunatic_error_string_size(error_id), '\0');
  lunatic_error_to_string(error_id, address(text.data()));
  lunatic_error_drop(error_id);
  return text;
}

// Tags the SDK uses for its own messages: far from the small numbers programs pick, and unique
// within the process that allocates them (reply tags).
inline constexpr std::int64_t kSpawnArgumentTag = 0x4C554E0000000001;  // "LUN" ...
inline constexpr std::int64_t kFirstReplyTag = 0x4C554E0100000000;

inline std::int64_t next_reply_tag() {
  static std::int64_t next = kFirstReplyTag;
  return next++;
}

}  // namespace lunatic::detail
