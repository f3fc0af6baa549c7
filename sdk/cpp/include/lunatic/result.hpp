// lunatic::Result<T>: a value or an Error, for guests built without exceptions (C++20 has no
// std::expected). Every fallible SDK call returns one; value() on an error traps the process,
// which is what an unchecked failure should do in an actor system.
#pragma once

#include <string>
#include <type_traits>
#include <utility>
#include <variant>

namespace lunatic {

enum class ErrorKind {
  kTimeout,       // a receive or request ran out of time
  kNoProcess,     // the peer is dead or never existed
  kDecode,        // a message's bytes are not a valid encoding of the expected type
  kPermission,    // the process's config forbids it
  kHost,          // a host call failed; message holds the runtime's own text
  kInvalidInput,  // the caller passed something unusable (an empty name, a bad size)
};

// A short name of the kind, for logs and messages ("timeout", "no process", ...).
constexpr const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kTimeout:
      return "timeout";
    case ErrorKind::kNoProcess:
      return "no process";
    case ErrorKind::kDecode:
      return "decode";
    case ErrorKind::kPermission:
      return "permission";
    case ErrorKind::kHost:
      return "host";
    case ErrorKind::kInvalidInput:
      return "invalid input";
  }
  return "unknown";
}

struct Error {
  ErrorKind kind;
  std::string message;

  friend bool operator==(const Error& a, const Error& b) { return a.kind == b.kind; }
};

[[noreturn]] inline void fail_unchecked(const Error& error) {
  (void)error;  // a debugger (or the runtime's trap log) shows where; there is no one to catch it
  __builtin_trap();
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}      // NOLINT: implicit
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & {
    if (!has_value()) fail_unchecked(std::get<1>(state_));
    return std::get<0>(state_);
  }
  const T& value() const& {
    if (!has_value()) fail_unchecked(std::get<1>(state_));
    return std::get<0>(state_);
  }
  // By value: `for (auto& x : f().value())` must not iterate a destroyed temporary.
  T value() && {
    if (!has_value()) fail_unchecked(std::get<1>(state_));
    return std::move(std::get<0>(state_));
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(state_) : static_cast<T>(std::forward<U>(fallback));
  }

  // Only meaningful when !has_value().
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT: implicit

  bool has_value() const { return !failed_; }
  explicit operator bool() const { return has_value(); }
  void value() const {
    if (failed_) fail_unchecked(error_);
  }
  const Error& error() const { return error_; }

 private:
  Error error_{ErrorKind::kHost, {}};
  bool failed_ = false;
};

}  // namespace lunatic
