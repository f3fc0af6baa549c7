// lunatic::Result<T>: a value or an Error, for guests built without exceptions (C++20 has no
// std::expected). Every fallible SDK call returns one; value() on an error traps the process,
// which is what an unchecked failure should do in an actor system.
#pragma once

#include <new>
#include <string>
#include <type_traits>
#include <utility>

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
  Result(T value) : ok_(true) { new (&value_) T(std::move(value)); }           // NOLINT: implicit
  Result(Error error) : ok_(false) { new (&error_) Error(std::move(error)); }  // NOLINT: implicit
  Result(const Result& other) : ok_(other.ok_) {
    if (ok_) {
      new (&value_) T(other.value_);
    } else {
      new (&error_) Error(other.error_);
    }
  }
  Result(Result&& other) noexcept(std::is_nothrow_move_constructible_v<T>) : ok_(other.ok_) {
    if (ok_) {
      new (&value_) T(std::move(other.value_));
    } else {
      new (&error_) Error(std::move(other.error_));
    }
  }
  Result& operator=(const Result& other) {
    if (this != &other) {
      destroy();
      new (this) Result(other);
    }
    return *this;
  }
  Result& operator=(Result&& other) noexcept(std::is_nothrow_move_constructible_v<T>) {
    if (this != &other) {
      destroy();
      new (this) Result(std::move(other));
    }
    return *this;
  }
  ~Result() { destroy(); }

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }

  T& value() & {
    if (!ok_) fail_unchecked(error_);
    return value_;
  }
  const T& value() const& {
    if (!ok_) fail_unchecked(error_);
    return value_;
  }
  // By value: `for (auto& x : f().value())` must not iterate a destroyed temporary.
  T value() && {
    if (!ok_) fail_unchecked(error_);
    return std::move(value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  template <class U>
  T value_or(U&& fallback) const& {
    return ok_ ? value_ : static_cast<T>(std::forward<U>(fallback));
  }

  // Only meaningful when !has_value().
  const Error& error() const { return error_; }

 private:
  // A tagged union rather than std::variant: destroying a variant dispatches through a table,
  // an indirect call in wasm, and a decoder makes and destroys several Results per message.
  void destroy() {
    if (ok_) {
      value_.~T();
    } else {
      error_.~Error();
    }
  }

  union {
    T value_;
    Error error_;
  };
  bool ok_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() : ok_(true) {}
  Result(Error error) : ok_(false) { new (&error_) Error(std::move(error)); }  // NOLINT: implicit
  Result(const Result& other) : ok_(other.ok_) {
    if (!ok_) new (&error_) Error(other.error_);
  }
  Result(Result&& other) noexcept : ok_(other.ok_) {
    if (!ok_) new (&error_) Error(std::move(other.error_));
  }
  Result& operator=(const Result& other) {
    if (this != &other) {
      this->~Result();
      new (this) Result(other);
    }
    return *this;
  }
  Result& operator=(Result&& other) noexcept {
    if (this != &other) {
      this->~Result();
      new (this) Result(std::move(other));
    }
    return *this;
  }
  ~Result() {
    if (!ok_) error_.~Error();
  }

  bool has_value() const { return ok_; }
  explicit operator bool() const { return ok_; }
  void value() const {
    if (!ok_) fail_unchecked(error_);
  }
  // Only meaningful when !has_value().
  const Error& error() const { return error_; }

 private:
  union {
    Error error_;
  };
  bool ok_;
};

}  // namespace lunatic
