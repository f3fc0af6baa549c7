// Little-endian encoding of the records nodes exchange: a writer that appends, and a reader
// that never reads past its input (a peer's bytes are untrusted even after mutual TLS: a bug
// or a version skew must give an error, not a crash).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace lunatic::cluster {

class WireWriter {
 public:
  void u8(std::uint8_t value) { bytes_.push_back(value); }
  void u32(std::uint32_t value) { append(&value, sizeof value); }
  void u64(std::uint64_t value) { append(&value, sizeof value); }
  void i64(std::int64_t value) { append(&value, sizeof value); }
  // A u32 length, then the bytes.
  void bytes(std::span<const std::uint8_t> data) {
    u32(static_cast<std::uint32_t>(data.size()));
    append(data.data(), data.size());
  }
  void text(std::string_view data) {
    bytes({reinterpret_cast<const std::uint8_t*>(data.data()), data.size()});
  }
  std::vector<std::uint8_t> take() { return std::move(bytes_); }

 private:
  static_assert(std::endian::native == std::endian::little, "the wire is little-endian");
  void append(const void* data, std::size_t size) {
    const auto* first = static_cast<const std::uint8_t*>(data);
    bytes_.insert(bytes_.end(), first, first + size);
  }
  std::vector<std::uint8_t> bytes_;
};

// Every read returns nullopt once the input is short; ok() tells whether all reads succeeded
// and at_end() whether the record was read exactly.
class WireReader {
 public:
  explicit WireReader(std::span<const std::uint8_t> input) : input_(input) {}

  std::optional<std::uint8_t> u8() { return fixed<std::uint8_t>(); }
  std::optional<std::uint32_t> u32() { return fixed<std::uint32_t>(); }
  std::optional<std::uint64_t> u64() { return fixed<std::uint64_t>(); }
  std::optional<std::int64_t> i64() { return fixed<std::int64_t>(); }
  std::optional<std::span<const std::uint8_t>> bytes() {
    const auto size = u32();
    if (!size || *size > input_.size() - position_) return fail<std::span<const std::uint8_t>>();
    const auto view = input_.subspan(position_, *size);
    position_ += *size;
    return view;
  }
  std::optional<std::string> text() {
    const auto view = bytes();
    if (!view) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(view->data()), view->size());
  }
  bool ok() const { return ok_; }
  bool at_end() const { return ok_ && position_ == input_.size(); }

 private:
  template <class T>
  std::optional<T> fixed() {
    if (sizeof(T) > input_.size() - position_) return fail<T>();
    T value;
    std::memcpy(&value, input_.data() + position_, sizeof value);
    position_ += sizeof value;
    return value;
  }
  template <class T>
  std::optional<T> fail() {
    ok_ = false;
    position_ = input_.size();
    return std::nullopt;
  }

  std::span<const std::uint8_t> input_;
  std::size_t position_ = 0;
  bool ok_ = true;
};

}  // namespace lunatic::cluster
