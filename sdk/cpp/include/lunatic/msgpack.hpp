// MessagePack encoding of C++ values, with no code per type for the common ones: scalars, enums,
// strings, vectors, arrays, maps, optionals, pairs, tuples, variants and aggregate structs (as
// arrays of their fields, the compact form Rust's rmp_serde::to_vec writes). Other types
// specialize Codec<T>. Decoding never reads out of bounds and never trusts a length: bad bytes are
// an Error of kind kDecode. See docs/sdk.md for the type mapping.
#pragma once

#include <array>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <lunatic/detail/inline.hpp>
#include <lunatic/result.hpp>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace lunatic::msgpack {

// A growable byte buffer with its first kInlineBytes inside the object. Unlike std::vector it
// grows without zero-filling, so a writer appends a header in one step and a message is read
// straight into it; and a small message, on the stack, touches no memory the process is not
// already using (with a thousand processes taking turns, every page touched per message is a
// TLB miss: a process-wide scratch buffer cost the ring benchmark 10%).
class Buffer {
 public:
  static constexpr std::size_t kInlineBytes = 256;

  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  ~Buffer() {
    if (data_ != inline_) std::free(data_);
  }

  const std::uint8_t* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::span<const std::uint8_t> bytes() const { return {data_, size_}; }
  void clear() { size_ = 0; }
  // Keeps the first `n` bytes (n <= size()).
  void truncate(std::size_t n) { size_ = n; }

  // `n` more bytes at the end, uninitialized.
  LUNATIC_INLINE std::uint8_t* extend(std::size_t n) {
    if (capacity_ - size_ < n) grow(size_ + n);
    std::uint8_t* at = data_ + size_;
    size_ += n;
    return at;
  }
  // Exactly `n` bytes, uninitialized.
  LUNATIC_INLINE std::uint8_t* assign(std::size_t n) {
    size_ = 0;
    return extend(n);
  }

 private:
  [[gnu::noinline]] void grow(std::size_t needed) {
    std::size_t capacity = capacity_ * 2;
    if (capacity < needed) capacity = needed;
    const bool was_inline = data_ == inline_;
    void* grown = was_inline ? std::malloc(capacity) : std::realloc(data_, capacity);
    if (grown == nullptr) __builtin_trap();  // out of memory: the process dies, as on `new`
    if (was_inline) std::memcpy(grown, inline_, size_);
    data_ = static_cast<std::uint8_t*>(grown);
    capacity_ = capacity;
  }

  std::uint8_t* data_ = inline_;
  std::size_t size_ = 0;
  std::size_t capacity_ = kInlineBytes;
  std::uint8_t inline_[kInlineBytes];
};

namespace detail {

// The smallest encoding of an integer, as the spec asks: calls put(format, bits, n), for a
// format byte followed by the low n bytes of bits, big-endian (n is 0 for a fixint).
template <class Put>
LUNATIC_INLINE void encode_unsigned(std::uint64_t value, Put&& put) {
  if (value < 0x80) {
    put(static_cast<std::uint8_t>(value), 0, 0);
  } else if (value <= 0xff) {
    put(0xcc, value, 1);
  } else if (value <= 0xffff) {
    put(0xcd, value, 2);
  } else if (value <= 0xffffffff) {
    put(0xce, value, 4);
  } else {
    put(0xcf, value, 8);
  }
}

template <class Put>
LUNATIC_INLINE void encode_signed(std::int64_t value, Put&& put) {
  if (value >= 0) return encode_unsigned(static_cast<std::uint64_t>(value), put);
  const auto bits = static_cast<std::uint64_t>(value);
  if (value >= -32) {
    put(static_cast<std::uint8_t>(bits), 0, 0);
  } else if (value >= std::numeric_limits<std::int8_t>::min()) {
    put(0xd0, bits, 1);
  } else if (value >= std::numeric_limits<std::int16_t>::min()) {
    put(0xd1, bits, 2);
  } else if (value >= std::numeric_limits<std::int32_t>::min()) {
    put(0xd2, bits, 4);
  } else {
    put(0xd3, bits, 8);
  }
}

// A format byte and `bytes` bytes of `value` at `at`, big-endian.
LUNATIC_INLINE void store_tagged(std::uint8_t* at, std::uint8_t format, std::uint64_t value,
                                 int bytes) {
  at[0] = format;
  for (int i = 0; i < bytes; ++i)
    at[1 + i] = static_cast<std::uint8_t>(value >> (8 * (bytes - 1 - i)));
}

}  // namespace detail

// An integer's encoding in a few bytes of its own: the fast path of integer messages, which
// need no Buffer. The same bytes as Writer::integer and unsigned_integer.
struct IntegerBytes {
  std::uint8_t bytes[9];
  std::size_t size = 0;

  template <class T>
  LUNATIC_INLINE explicit IntegerBytes(T value) {
    static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
    auto put = [this](std::uint8_t format, std::uint64_t bits, int n) {
      detail::store_tagged(bytes, format, bits, n);
      size = 1 + static_cast<std::size_t>(n);
    };
    if constexpr (std::is_signed_v<T>) {
      detail::encode_signed(value, put);
    } else {
      detail::encode_unsigned(value, put);
    }
  }
};

class Writer {
 public:
  explicit Writer(Buffer& out) : out_(out) {}

  void nil() { byte(0xc0); }
  void boolean(bool value) { byte(value ? 0xc3 : 0xc2); }
  LUNATIC_INLINE void unsigned_integer(std::uint64_t value) {
    detail::encode_unsigned(value, [this](std::uint8_t format, std::uint64_t bits, int bytes) {
      tagged(format, bits, bytes);
    });
  }
  LUNATIC_INLINE void integer(std::int64_t value) {
    detail::encode_signed(value, [this](std::uint8_t format, std::uint64_t bits, int bytes) {
      tagged(format, bits, bytes);
    });
  }
  void f32(float value) {
    std::uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    tagged(0xca, bits, 4);
  }
  void f64(double value) {
    std::uint64_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    tagged(0xcb, bits, 8);
  }
  void str(std::string_view text) {
    const std::size_t n = text.size();
    if (n < 32) {
      byte(static_cast<std::uint8_t>(0xa0 | n));
    } else {
      header(n, 0xd9, 0xda, 0xdb);
    }
    raw(text.data(), n);
  }
  void bin(std::span<const std::uint8_t> bytes) {
    header(bytes.size(), 0xc4, 0xc5, 0xc6);
    raw(bytes.data(), bytes.size());
  }
  void array_header(std::uint32_t n) {
    if (n < 16) return byte(static_cast<std::uint8_t>(0x90 | n));
    header16_32(n, 0xdc, 0xdd);
  }
  void map_header(std::uint32_t n) {
    if (n < 16) return byte(static_cast<std::uint8_t>(0x80 | n));
    header16_32(n, 0xde, 0xdf);
  }

 private:
  LUNATIC_INLINE void byte(std::uint8_t b) { *out_.extend(1) = b; }
  // A format byte followed by the low `bytes` bytes of `value`, big-endian.
  LUNATIC_INLINE void tagged(std::uint8_t format, std::uint64_t value, int bytes) {
    detail::store_tagged(out_.extend(1 + static_cast<std::size_t>(bytes)), format, value, bytes);
  }
  void raw(const void* bytes, std::size_t n) {
    if (n > 0) std::memcpy(out_.extend(n), bytes, n);
  }
  void header(std::size_t n, std::uint8_t f8, std::uint8_t f16, std::uint8_t f32) {
    if (n <= 0xff) {
      tagged(f8, n, 1);
    } else {
      header16_32(n, f16, f32);
    }
  }
  void header16_32(std::size_t n, std::uint8_t f16, std::uint8_t f32) {
    if (n <= 0xffff) {
      tagged(f16, n, 2);
    } else {
      tagged(f32, n, 4);
    }
  }

  Buffer& out_;
};

namespace detail {

// An integer as MessagePack holds it.
struct Integer {
  bool negative;
  std::uint64_t bits;  // two's complement when negative
};

// How many bytes follow the integer format byte `b`: 0 for a fixint (the byte is the value), 1
// to 8 for uint8 to uint64 and int8 to int64, -1 when `b` starts no integer.
constexpr int integer_width(std::uint8_t b) {
  if (b < 0x80 || b >= 0xe0) return 0;
  if (b >= 0xcc && b <= 0xd3) return 1 << ((b - 0xcc) & 3);
  return -1;
}

// The big-endian unsigned integer of `bytes` bytes at `at`.
template <int bytes>
LUNATIC_INLINE std::uint64_t load_big_endian(const std::uint8_t* at) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value = (value << 8) | at[i];
  return value;
}

// The integer of format byte `b`, whose integer_width(b) >= 0 payload bytes are at `at`.
LUNATIC_INLINE Integer integer_value(std::uint8_t b, const std::uint8_t* at) {
  if (b < 0x80) return {false, b};
  if (b >= 0xe0)
    return {true, static_cast<std::uint64_t>(std::int64_t{static_cast<std::int8_t>(b)})};
  const int width = integer_width(b);
  std::uint64_t bits = 0;
  switch (width) {
    case 1:
      bits = at[0];
      break;
    case 2:
      bits = load_big_endian<2>(at);
      break;
    case 4:
      bits = load_big_endian<4>(at);
      break;
    default:
      bits = load_big_endian<8>(at);
      break;
  }
  if (b < 0xd0) return {false, bits};  // uint8 to uint64
  if (width < 8) {                     // sign-extend from the encoded width
    const auto shift = static_cast<unsigned>(64 - 8 * width);
    bits = static_cast<std::uint64_t>(static_cast<std::int64_t>(bits << shift) >> shift);
  }
  return {static_cast<std::int64_t>(bits) < 0, bits};
}

}  // namespace detail

class Reader {
 public:
  // Nesting deeper than this is refused: a few bytes must not be able to exhaust the stack.
  static constexpr int kMaxDepth = 64;

  explicit Reader(std::span<const std::uint8_t> in) : in_(in) {}

  std::size_t offset() const { return pos_; }
  bool at_end() const { return pos_ == in_.size(); }
  std::size_t remaining() const { return in_.size() - pos_; }

  bool next_is_nil() const { return pos_ < in_.size() && in_[pos_] == 0xc0; }
  Result<void> nil() {
    if (!next_is_nil()) return fail("expected nil");
    ++pos_;
    return {};
  }
  Result<bool> boolean() {
    if (pos_ < in_.size() && (in_[pos_] == 0xc2 || in_[pos_] == 0xc3)) return in_[pos_++] == 0xc3;
    return fail("expected a boolean");
  }

  // Any integer format whose value fits in 64 bits signed.
  LUNATIC_INLINE Result<std::int64_t> integer() {
    Result<Number> number = read_integer();
    if (!number) return number.error();
    if (!number->negative &&
        number->bits > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return fail("integer out of range");
    }
    return static_cast<std::int64_t>(number->bits);
  }
  LUNATIC_INLINE Result<std::uint64_t> unsigned_integer() {
    Result<Number> number = read_integer();
    if (!number) return number.error();
    if (number->negative) return fail("negative integer where an unsigned one is expected");
    return number->bits;
  }
  // float 64 or 32, or an integer.
  Result<double> f64() {
    if (pos_ < in_.size() && in_[pos_] == 0xcb) return read_float64();
    if (pos_ < in_.size() && in_[pos_] == 0xca) return static_cast<double>(*read_float32());
    Result<Number> number = read_integer();
    if (!number) return fail("expected a number");
    return number->negative ? static_cast<double>(static_cast<std::int64_t>(number->bits))
                            : static_cast<double>(number->bits);
  }
  Result<float> f32() {
    if (pos_ < in_.size() && in_[pos_] == 0xca) return read_float32();
    Result<double> wide = f64();
    if (!wide) return wide.error();
    return static_cast<float>(*wide);
  }

  Result<std::string> str() {
    Result<std::span<const std::uint8_t>> bytes = raw_str();
    if (!bytes) return bytes.error();
    return std::string(bytes->begin(), bytes->end());
  }
  Result<std::vector<std::uint8_t>> bin() {
    if (pos_ >= in_.size()) return fail("expected binary data, found the end");
    const std::uint8_t b = in_[pos_];
    int width = b == 0xc4 ? 1 : b == 0xc5 ? 2 : b == 0xc6 ? 4 : 0;
    if (width == 0) return fail("expected binary data");
    ++pos_;
    Result<std::span<const std::uint8_t>> bytes = payload(width);
    if (!bytes) return bytes.error();
    return std::vector<std::uint8_t>(bytes->begin(), bytes->end());
  }

  // Element counts, checked against what the rest of the input could hold (one byte each at
  // least), so a forged count cannot make a decoder reserve gigabytes.
  Result<std::uint32_t> array_header() { return container_header(0x90, 0xdc, 0xdd, 1, "an array"); }
  Result<std::uint32_t> map_header() { return container_header(0x80, 0xde, 0xdf, 2, "a map"); }

  // Skips one whole value.
  Result<void> skip() { return skip_value(0); }

  // Depth accounting for nested containers (decoders of containers call enter/leave).
  Result<void> enter() {
    if (++depth_ > kMaxDepth) return fail("nested too deeply");
    return {};
  }
  void leave() { --depth_; }

  // The error texts are built out of line, only on failure, which keeps the decoders small
  // enough to inline. They take the position by value: a reader whose address never escapes
  // stays in registers instead of memory.
  LUNATIC_INLINE Error fail(std::string_view what) const { return fail_at(what, pos_); }
  LUNATIC_INLINE Error fail_expected(const char* what, bool at_end) const {
    return fail_expected_at(what, at_end, pos_);
  }
  LUNATIC_INLINE Error fail_field_count(std::size_t expected, std::size_t found) const {
    return fail_field_count_at(expected, found, pos_);
  }

 private:
  [[gnu::cold, gnu::noinline]] static Error fail_at(std::string_view what, std::size_t pos) {
    return Error{ErrorKind::kDecode, std::string(what) + ", at byte " + std::to_string(pos)};
  }
  [[gnu::cold, gnu::noinline]] static Error fail_expected_at(const char* what, bool at_end,
                                                             std::size_t pos) {
    return fail_at(std::string("expected ") + what + (at_end ? ", found the end" : ""), pos);
  }
  [[gnu::cold, gnu::noinline]] static Error fail_field_count_at(std::size_t expected,
                                                                std::size_t found,
                                                                std::size_t pos) {
    return fail_at(
        "expected " + std::to_string(expected) + " fields, found " + std::to_string(found), pos);
  }

  using Number = detail::Integer;

  LUNATIC_INLINE Result<std::uint64_t> big_endian(int bytes) {
    if (remaining() < static_cast<std::size_t>(bytes)) return fail("truncated");
    // Through a local pointer, so the position is stored once rather than once a byte.
    const std::uint8_t* at = in_.data() + pos_;
    pos_ += static_cast<std::size_t>(bytes);
    std::uint64_t value = 0;
    for (int i = 0; i < bytes; ++i) value = (value << 8) | at[i];
    return value;
  }

  LUNATIC_INLINE Result<Number> read_integer() {
    if (pos_ >= in_.size()) return fail("expected an integer, found the end");
    const std::uint8_t b = in_[pos_];
    const int width = detail::integer_width(b);
    if (width < 0) return fail("expected an integer");
    // The payload is cut short: the error names the byte after the format; the position stays.
    if (remaining() - 1 < static_cast<std::size_t>(width)) return fail_at("truncated", pos_ + 1);
    const Number number = detail::integer_value(b, in_.data() + pos_ + 1);
    pos_ += 1 + static_cast<std::size_t>(width);
    return number;
  }

  Result<double> read_float64() {
    ++pos_;
    Result<std::uint64_t> bits = big_endian(8);
    if (!bits) return bits.error();
    double value;
    std::memcpy(&value, &*bits, sizeof value);
    return value;
  }
  Result<float> read_float32() {
    ++pos_;
    Result<std::uint64_t> bits = big_endian(4);
    if (!bits) return bits.error();
    const auto narrow = static_cast<std::uint32_t>(*bits);
    float value;
    std::memcpy(&value, &narrow, sizeof value);
    return value;
  }

  Result<std::span<const std::uint8_t>> payload(int width) {
    Result<std::uint64_t> n = width == 0 ? Result<std::uint64_t>(0) : big_endian(width);
    if (!n) return n.error();
    if (*n > remaining()) return fail("length past the end");
    std::span<const std::uint8_t> bytes = in_.subspan(pos_, static_cast<std::size_t>(*n));
    pos_ += static_cast<std::size_t>(*n);
    return bytes;
  }

  Result<std::span<const std::uint8_t>> raw_str() {
    if (pos_ >= in_.size()) return fail("expected a string, found the end");
    const std::uint8_t b = in_[pos_];
    if ((b & 0xe0) == 0xa0) {
      ++pos_;
      if ((b & 0x1f) > remaining()) return fail("length past the end");
      std::span<const std::uint8_t> bytes = in_.subspan(pos_, b & 0x1f);
      pos_ += b & 0x1f;
      return bytes;
    }
    const int width = b == 0xd9 ? 1 : b == 0xda ? 2 : b == 0xdb ? 4 : 0;
    if (width == 0) return fail("expected a string");
    ++pos_;
    return payload(width);
  }

  Result<std::uint32_t> container_header(std::uint8_t fix, std::uint8_t f16, std::uint8_t f32,
                                         std::size_t bytes_per_element, const char* what) {
    if (pos_ >= in_.size()) return fail_expected(what, true);
    const std::uint8_t b = in_[pos_];
    std::uint64_t n;
    if ((b & 0xf0) == fix) {
      ++pos_;
      n = b & 0x0f;
    } else if (b == f16 || b == f32) {
      ++pos_;
      Result<std::uint64_t> count = big_endian(b == f16 ? 2 : 4);
      if (!count) return count.error();
      n = *count;
    } else {
      return fail_expected(what, false);
    }
    if (n * bytes_per_element > remaining()) return fail("more elements than bytes left");
    return static_cast<std::uint32_t>(n);
  }

  Result<void> skip_value(int depth) {
    if (depth > kMaxDepth) return fail("nested too deeply");
    if (pos_ >= in_.size()) return fail("expected a value, found the end");
    const std::uint8_t b = in_[pos_];
    if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3) {
      ++pos_;
      return {};
    }
    if ((b & 0xe0) == 0xa0 || (b >= 0xd9 && b <= 0xdb)) {
      Result<std::span<const std::uint8_t>> s = raw_str();
      if (!s) return s.error();
      return {};
    }
    if (b >= 0xc4 && b <= 0xc6) {
      Result<std::vector<std::uint8_t>> bytes = bin();
      if (!bytes) return bytes.error();
      return {};
    }
    if ((b >= 0xcc && b <= 0xcf) || (b >= 0xd0 && b <= 0xd3)) {
      Result<Number> number = read_integer();
      if (!number) return number.error();
      return {};
    }
    if (b == 0xca || b == 0xcb) {
      const std::size_t width = b == 0xca ? 4 : 8;
      if (remaining() < width + 1) return fail("truncated");
      pos_ += width + 1;
      return {};
    }
    const bool is_map = (b & 0xf0) == 0x80 || b == 0xde || b == 0xdf;
    const bool is_array = (b & 0xf0) == 0x90 || b == 0xdc || b == 0xdd;
    if (is_map || is_array) {
      Result<std::uint32_t> n = is_map ? map_header() : array_header();
      if (!n) return n.error();
      const std::uint64_t values = std::uint64_t{*n} * (is_map ? 2 : 1);
      for (std::uint64_t i = 0; i < values; ++i) {
        Result<void> inner = skip_value(depth + 1);
        if (!inner) return inner;
      }
      return {};
    }
    return fail("a format this decoder does not take (ext or the reserved byte 0xc1)");
  }

  std::span<const std::uint8_t> in_;
  std::size_t pos_ = 0;
  int depth_ = 0;
};

// The customization point: specialize with
//   static void encode(Writer&, const T&);
//   static Result<T> decode(Reader&);
template <class T, class Enable = void>
struct Codec;

template <class T>
LUNATIC_INLINE void encode(Writer& writer, const T& value) {
  Codec<T>::encode(writer, value);
}

template <class T>
LUNATIC_INLINE Result<T> decode(Reader& reader) {
  return Codec<T>::decode(reader);
}

template <class T>
std::vector<std::uint8_t> to_bytes(const T& value) {
  Buffer out;
  Writer writer(out);
  encode(writer, value);
  return std::vector<std::uint8_t>(out.data(), out.data() + out.size());
}

// The whole input must be one value of type T.
template <class T>
LUNATIC_INLINE Result<T> from_bytes(std::span<const std::uint8_t> bytes) {
  Reader reader(bytes);
  Result<T> value = decode<T>(reader);
  if (value && !reader.at_end()) return reader.fail("bytes left after the value");
  return value;
}

// The integer that `bytes` are, when they are exactly one MessagePack integer that fits T, the
// value from_bytes<T>(bytes) would return; nullopt otherwise (from_bytes then tells why). The
// fast path of integer messages: no Reader, no Result.
template <class T>
LUNATIC_INLINE std::optional<T> integer_exactly(std::span<const std::uint8_t> bytes) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  if (bytes.empty()) return std::nullopt;
  const int width = detail::integer_width(bytes[0]);
  if (width < 0 || bytes.size() != static_cast<std::size_t>(1 + width)) return std::nullopt;
  const auto [negative, bits] = detail::integer_value(bytes[0], bytes.data() + 1);
  if constexpr (std::is_signed_v<T>) {
    if (!negative && bits > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return std::nullopt;
    }
    const auto value = static_cast<std::int64_t>(bits);
    if (value < std::numeric_limits<T>::min() || value > std::numeric_limits<T>::max())
      return std::nullopt;
    return static_cast<T>(value);
  } else {
    if (negative || bits > std::numeric_limits<T>::max()) return std::nullopt;
    return static_cast<T>(bits);
  }
}

// ---- scalars ----

template <>
struct Codec<bool> {
  static void encode(Writer& w, bool v) { w.boolean(v); }
  static Result<bool> decode(Reader& r) { return r.boolean(); }
};

template <class T>
struct Codec<T, std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>>> {
  LUNATIC_INLINE static void encode(Writer& w, T v) {
    if constexpr (std::is_signed_v<T>) {
      w.integer(v);
    } else {
      w.unsigned_integer(v);
    }
  }
  LUNATIC_INLINE static Result<T> decode(Reader& r) {
    if constexpr (std::is_signed_v<T>) {
      Result<std::int64_t> v = r.integer();
      if (!v) return v.error();
      if (*v < std::numeric_limits<T>::min() || *v > std::numeric_limits<T>::max()) {
        return r.fail("integer out of range of the target type");
      }
      return static_cast<T>(*v);
    } else {
      Result<std::uint64_t> v = r.unsigned_integer();
      if (!v) return v.error();
      if (*v > std::numeric_limits<T>::max())
        return r.fail("integer out of range of the target type");
      return static_cast<T>(*v);
    }
  }
};

template <class T>
struct Codec<T, std::enable_if_t<std::is_enum_v<T>>> {
  using Underlying = std::underlying_type_t<T>;
  static void encode(Writer& w, T v) { Codec<Underlying>::encode(w, static_cast<Underlying>(v)); }
  static Result<T> decode(Reader& r) {
    Result<Underlying> v = Codec<Underlying>::decode(r);
    if (!v) return v.error();
    return static_cast<T>(*v);
  }
};

template <>
struct Codec<float> {
  static void encode(Writer& w, float v) { w.f32(v); }
  static Result<float> decode(Reader& r) { return r.f32(); }
};
template <>
struct Codec<double> {
  static void encode(Writer& w, double v) { w.f64(v); }
  static Result<double> decode(Reader& r) { return r.f64(); }
};

template <>
struct Codec<std::monostate> {
  static void encode(Writer& w, std::monostate) { w.nil(); }
  static Result<std::monostate> decode(Reader& r) {
    Result<void> nil = r.nil();
    if (!nil) return nil.error();
    return std::monostate{};
  }
};

// ---- strings and bytes ----

template <>
struct Codec<std::string> {
  static void encode(Writer& w, const std::string& v) { w.str(v); }
  static Result<std::string> decode(Reader& r) { return r.str(); }
};
template <>
struct Codec<std::string_view> {  // encode only: a view cannot own decoded bytes
  static void encode(Writer& w, std::string_view v) { w.str(v); }
};
template <>
struct Codec<std::vector<std::uint8_t>> {
  static void encode(Writer& w, const std::vector<std::uint8_t>& v) { w.bin(v); }
  static Result<std::vector<std::uint8_t>> decode(Reader& r) { return r.bin(); }
};

// ---- containers ----

namespace detail {

// Decodes `n` elements with `one`, inside one level of nesting.
template <class Fn>
Result<void> each_element(Reader& r, std::uint32_t n, Fn&& one) {
  Result<void> entered = r.enter();
  if (!entered) return entered;
  for (std::uint32_t i = 0; i < n; ++i) {
    Result<void> step = one();
    if (!step) {
      r.leave();
      return step;
    }
  }
  r.leave();
  return {};
}

}  // namespace detail

template <class T>
struct Codec<std::vector<T>, std::enable_if_t<!std::is_same_v<T, std::uint8_t>>> {
  static void encode(Writer& w, const std::vector<T>& v) {
    w.array_header(static_cast<std::uint32_t>(v.size()));
    for (const T& element : v) msgpack::encode(w, element);
  }
  static Result<std::vector<T>> decode(Reader& r) {
    Result<std::uint32_t> n = r.array_header();
    if (!n) return n.error();
    std::vector<T> out;
    out.reserve(*n);  // bounded by the bytes left (array_header)
    Result<void> done = detail::each_element(r, *n, [&]() -> Result<void> {
      Result<T> element = msgpack::decode<T>(r);
      if (!element) return element.error();
      out.push_back(std::move(element).value());
      return {};
    });
    if (!done) return done.error();
    return out;
  }
};

template <class T, std::size_t N>
struct Codec<std::array<T, N>> {
  static void encode(Writer& w, const std::array<T, N>& v) {
    w.array_header(static_cast<std::uint32_t>(N));
    for (const T& element : v) msgpack::encode(w, element);
  }
  static Result<std::array<T, N>> decode(Reader& r) {
    Result<std::uint32_t> n = r.array_header();
    if (!n) return n.error();
    if (*n != N) return r.fail("array of the wrong length");
    std::array<T, N> out{};
    std::size_t i = 0;
    Result<void> done = detail::each_element(r, *n, [&]() -> Result<void> {
      Result<T> element = msgpack::decode<T>(r);
      if (!element) return element.error();
      out[i++] = std::move(element).value();
      return {};
    });
    if (!done) return done.error();
    return out;
  }
};

namespace detail {

template <class Map>
struct MapCodec {
  using K = typename Map::key_type;
  using V = typename Map::mapped_type;
  static void encode(Writer& w, const Map& m) {
    w.map_header(static_cast<std::uint32_t>(m.size()));
    for (const auto& [key, value] : m) {
      msgpack::encode(w, key);
      msgpack::encode(w, value);
    }
  }
  static Result<Map> decode(Reader& r) {
    Result<std::uint32_t> n = r.map_header();
    if (!n) return n.error();
    Map out;
    Result<void> done = each_element(r, *n, [&]() -> Result<void> {
      Result<K> key = msgpack::decode<K>(r);
      if (!key) return key.error();
      Result<V> value = msgpack::decode<V>(r);
      if (!value) return value.error();
      out.insert_or_assign(std::move(key).value(), std::move(value).value());
      return {};
    });
    if (!done) return done.error();
    return out;
  }
};

}  // namespace detail

template <class K, class V, class C, class A>
struct Codec<std::map<K, V, C, A>> : detail::MapCodec<std::map<K, V, C, A>> {};
template <class K, class V, class H, class E, class A>
struct Codec<std::unordered_map<K, V, H, E, A>>
    : detail::MapCodec<std::unordered_map<K, V, H, E, A>> {};

template <class T>
struct Codec<std::optional<T>> {
  static void encode(Writer& w, const std::optional<T>& v) {
    if (v) {
      msgpack::encode(w, *v);
    } else {
      w.nil();
    }
  }
  static Result<std::optional<T>> decode(Reader& r) {
    if (r.next_is_nil()) {
      (void)r.nil();
      return std::optional<T>();
    }
    Result<T> value = msgpack::decode<T>(r);
    if (!value) return value.error();
    return std::optional<T>(std::move(value).value());
  }
};

namespace detail {

// Fields of a tuple-like value as one array.
template <class Tuple, std::size_t... I>
void encode_fields(Writer& w, const Tuple& fields, std::index_sequence<I...>) {
  w.array_header(static_cast<std::uint32_t>(sizeof...(I)));
  (msgpack::encode(w, std::get<I>(fields)), ...);
}

template <class... Ts>
Result<std::tuple<Ts...>> decode_fields(Reader& r) {
  Result<std::uint32_t> n = r.array_header();
  if (!n) return n.error();
  if (*n != sizeof...(Ts)) {
    return r.fail_field_count(sizeof...(Ts), *n);
  }
  Result<void> entered = r.enter();
  if (!entered) return entered.error();
  std::tuple<std::optional<Ts>...> parts;
  std::optional<Error> error;
  auto one = [&](auto& slot) {
    using T = typename std::remove_reference_t<decltype(slot)>::value_type;
    if (error) return;
    Result<T> value = msgpack::decode<T>(r);
    if (value) {
      slot.emplace(std::move(value).value());
    } else {
      error = value.error();
    }
  };
  std::apply([&](auto&... slots) { (one(slots), ...); }, parts);
  r.leave();
  if (error) return *error;
  return std::apply([](auto&... slots) { return std::tuple<Ts...>(std::move(*slots)...); }, parts);
}

}  // namespace detail

template <class A, class B>
struct Codec<std::pair<A, B>> {
  static void encode(Writer& w, const std::pair<A, B>& v) {
    detail::encode_fields(w, std::tie(v.first, v.second), std::make_index_sequence<2>());
  }
  static Result<std::pair<A, B>> decode(Reader& r) {
    Result<std::tuple<A, B>> fields = detail::decode_fields<A, B>(r);
    if (!fields) return fields.error();
    return std::pair<A, B>(std::move(std::get<0>(*fields)), std::move(std::get<1>(*fields)));
  }
};

template <class... Ts>
struct Codec<std::tuple<Ts...>> {
  static void encode(Writer& w, const std::tuple<Ts...>& v) {
    detail::encode_fields(w, v, std::index_sequence_for<Ts...>());
  }
  static Result<std::tuple<Ts...>> decode(Reader& r) { return detail::decode_fields<Ts...>(r); }
};

// A variant is [index, value].
template <class... Ts>
struct Codec<std::variant<Ts...>> {
  using Variant = std::variant<Ts...>;
  static void encode(Writer& w, const Variant& v) {
    w.array_header(2);
    w.unsigned_integer(v.index());
    std::visit([&](const auto& alternative) { msgpack::encode(w, alternative); }, v);
  }
  static Result<Variant> decode(Reader& r) {
    Result<std::uint32_t> n = r.array_header();
    if (!n) return n.error();
    if (*n != 2) return r.fail("a variant is [index, value]");
    Result<std::uint64_t> index = r.unsigned_integer();
    if (!index) return index.error();
    if (*index >= sizeof...(Ts)) return r.fail("variant index out of range");
    Result<void> entered = r.enter();
    if (!entered) return entered.error();
    Result<Variant> out = decode_at(r, *index, std::index_sequence_for<Ts...>());
    r.leave();
    return out;
  }

 private:
  template <std::size_t... I>
  static Result<Variant> decode_at(Reader& r, std::uint64_t index, std::index_sequence<I...>) {
    std::optional<Result<Variant>> out;
    ((index == I ? (void)(out.emplace(decode_one<I>(r))) : (void)0), ...);
    return std::move(*out);
  }
  template <std::size_t I>
  static Result<Variant> decode_one(Reader& r) {
    using T = std::variant_alternative_t<I, Variant>;
    Result<T> value = msgpack::decode<T>(r);
    if (!value) return value.error();
    return Variant(std::in_place_index<I>, std::move(value).value());
  }
};

// ---- aggregate structs: an array of their fields, in order ----

namespace detail {

struct AnyField {
  // Only used to count fields, in unevaluated contexts. Defined all the same: clang instantiates
  // the constructors it reaches (std::optional's, for a field of an optional of a type in an
  // unnamed namespace) and refuses an undefined function whose type has no linkage.
  template <class T>
  operator T() const {
    __builtin_trap();
  }
};

template <class T, class... Fields>
constexpr std::size_t count_fields() {
  if constexpr (sizeof...(Fields) > 16) {
    return sizeof...(Fields);  // more than the codec supports; the static_assert below says so
  } else if constexpr (requires { T{std::declval<Fields>()..., AnyField{}}; }) {
    return count_fields<T, Fields..., AnyField>();
  } else {
    return sizeof...(Fields);
  }
}

// The fields of an aggregate as a tuple of references.
template <class T>
auto tie_fields(T& value) {
  constexpr std::size_t n = count_fields<std::remove_const_t<T>>();
  static_assert(n <= 16, "aggregates of more than 16 fields need a Codec specialization");
  // clang-format off
  if constexpr (n == 0) { return std::tie(); }
  else if constexpr (n == 1) { auto& [a] = value; return std::tie(a); }
  else if constexpr (n == 2) { auto& [a, b] = value; return std::tie(a, b); }
  else if constexpr (n == 3) { auto& [a, b, c] = value; return std::tie(a, b, c); }
  else if constexpr (n == 4) { auto& [a, b, c, d] = value; return std::tie(a, b, c, d); }
  else if constexpr (n == 5) { auto& [a, b, c, d, e] = value; return std::tie(a, b, c, d, e); }
  else if constexpr (n == 6) { auto& [a, b, c, d, e, f] = value; return std::tie(a, b, c, d, e, f); }
  else if constexpr (n == 7) { auto& [a, b, c, d, e, f, g] = value; return std::tie(a, b, c, d, e, f, g); }
  else if constexpr (n == 8) { auto& [a, b, c, d, e, f, g, h] = value; return std::tie(a, b, c, d, e, f, g, h); }
  else if constexpr (n == 9) { auto& [a, b, c, d, e, f, g, h, i] = value; return std::tie(a, b, c, d, e, f, g, h, i); }
  else if constexpr (n == 10) { auto& [a, b, c, d, e, f, g, h, i, j] = value; return std::tie(a, b, c, d, e, f, g, h, i, j); }
  else if constexpr (n == 11) { auto& [a, b, c, d, e, f, g, h, i, j, k] = value; return std::tie(a, b, c, d, e, f, g, h, i, j, k); }
  else if constexpr (n == 12) { auto& [a, b, c, d, e, f, g, h, i, j, k, l] = value; return std::tie(a, b, c, d, e, f, g, h, i, j, k, l); }
  else if constexpr (n == 13) { auto& [a, b, c, d, e, f, g, h, i, j, k, l, m] = value; return std::tie(a, b, c, d, e, f, g, h, i, j, k, l, m); }
  else if constexpr (n == 14) { auto& [a, b, c, d, e, f, g, h, i, j, k, l, m, o] = value; return std::tie(a, b, c, d, e, f, g, h, i, j, k, l, m, o); }
  else if constexpr (n == 15) { auto& [a, b, c, d, e, f, g, h, i, j, k, l, m, o, p] = value; return std::tie(a, b, c, d, e, f, g, h, i, j, k, l, m, o, p); }
  else { auto& [a, b, c, d, e, f, g, h, i, j, k, l, m, o, p, q] = value; return std::tie(a, b, c, d, e, f, g, h, i, j, k, l, m, o, p, q); }
  // clang-format on
}

template <class T>
struct IsStdArray : std::false_type {};
template <class T, std::size_t N>
struct IsStdArray<std::array<T, N>> : std::true_type {};

template <class T>
concept Aggregate = std::is_aggregate_v<T> && std::is_class_v<T> &&
    std::is_default_constructible_v<T> && !IsStdArray<T>::value;

}  // namespace detail

template <class T>
struct Codec<T, std::enable_if_t<detail::Aggregate<T> && !std::is_array_v<T>>> {
  static void encode(Writer& w, const T& value) {
    auto fields = detail::tie_fields(value);
    detail::encode_fields(w, fields,
                          std::make_index_sequence<std::tuple_size_v<decltype(fields)>>());
  }
  static Result<T> decode(Reader& r) {
    T value{};
    auto fields = detail::tie_fields(value);
    constexpr std::size_t n = std::tuple_size_v<decltype(fields)>;
    Result<std::uint32_t> count = r.array_header();
    if (!count) return count.error();
    if (*count != n) {
      return r.fail_field_count(n, *count);
    }
    Result<void> entered = r.enter();
    if (!entered) return entered.error();
    std::optional<Error> error;
    auto one = [&](auto& field) {
      using F = std::remove_reference_t<decltype(field)>;
      if (error) return;
      Result<F> decoded = msgpack::decode<F>(r);
      if (decoded) {
        field = std::move(decoded).value();
      } else {
        error = decoded.error();
      }
    };
    std::apply([&](auto&... each) { (one(each), ...); }, fields);
    r.leave();
    if (error) return *error;
    return value;
  }
};

}  // namespace lunatic::msgpack
