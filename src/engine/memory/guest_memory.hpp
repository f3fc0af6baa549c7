// The one place that turns guest offsets into host pointers.
//
// All checks are done in 64-bit arithmetic, so `ptr + len` cannot wrap. Host thunks use this to
// validate and copy; services below them see only spans.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>
#include <type_traits>

#include "engine/execution/trap.hpp"

namespace lunatic::engine {

class GuestMemory {
 public:
  GuestMemory(std::uint8_t* base, std::uint64_t size) : base_(base), size_(size) {}

  std::uint64_t size() const { return size_; }

  // The bytes [ptr, ptr + len), or nullopt when any of them is outside the memory.
  std::optional<std::span<std::uint8_t>> try_bytes(std::uint64_t ptr, std::uint64_t len) const {
    if (ptr > size_ || len > size_ - ptr) return std::nullopt;
    // SAFETY: ptr + len <= size_ was checked just above without overflow.
    return std::span<std::uint8_t>(base_ + ptr, static_cast<std::size_t>(len));
  }

  // Like try_bytes, but a miss kills the guest with an out-of-bounds trap.
  std::span<std::uint8_t> bytes(std::uint64_t ptr, std::uint64_t len) const {
    auto span = try_bytes(ptr, len);
    if (!span) throw GuestTrap{TrapKind::kOutOfBounds, "host call: guest pointer out of bounds"};
    return *span;
  }

  std::string_view string(std::uint64_t ptr, std::uint64_t len) const {
    auto span = bytes(ptr, len);
    return {reinterpret_cast<const char*>(span.data()), span.size()};
  }

  // Unaligned little-endian loads and stores of trivially copyable values (wasm is little-endian,
  // as is every host we build for).
  template <class T>
  std::optional<T> try_load(std::uint64_t ptr) const {
    static_assert(std::is_trivially_copyable_v<T>);
    auto span = try_bytes(ptr, sizeof(T));
    if (!span) return std::nullopt;
    T value;
    std::memcpy(&value, span->data(), sizeof(T));
    return value;
  }

  template <class T>
  bool try_store(std::uint64_t ptr, const T& value) const {
    static_assert(std::is_trivially_copyable_v<T>);
    auto span = try_bytes(ptr, sizeof(T));
    if (!span) return false;
    std::memcpy(span->data(), &value, sizeof(T));
    return true;
  }

  template <class T>
  T load(std::uint64_t ptr) const {
    auto value = try_load<T>(ptr);
    if (!value) throw GuestTrap{TrapKind::kOutOfBounds, "host call: guest pointer out of bounds"};
    return *value;
  }

  template <class T>
  void store(std::uint64_t ptr, const T& value) const {
    if (!try_store(ptr, value)) {
      throw GuestTrap{TrapKind::kOutOfBounds, "host call: guest pointer out of bounds"};
    }
  }

 private:
  std::uint8_t* base_;
  std::uint64_t size_;
};

}  // namespace lunatic::engine
