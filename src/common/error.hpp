// Errors as values: one enum of stable codes, and an Expected<T> that carries a value or an Error.
// No exception crosses a module boundary; callers test the result.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>

namespace lunatic {

enum class Errc : std::uint16_t {
  kIo = 1,                  // a file could not be read, written or created
  kMalformedModule = 2,     // the bytes are not a well-formed wasm binary
  kInvalidModule = 3,       // well-formed but fails validation
  kUnsupportedFeature = 4,  // valid wasm that uses a feature the engine does not run
  kMissingImport = 5,       // the module imports something the host does not provide
  kCompileFailed = 6,       // the system C compiler failed on generated code
  kArtifactDamaged = 7,     // an artifact's bytes do not match its contract
  kContractMismatch = 8,    // an artifact was built for another engine, mode or host
  kLoadFailed = 9,          // dlopen or symbol lookup failed
  kInstantiateFailed = 10,  // memory or table allocation failed at instantiation
  kInvalidArgument = 11,    // a caller passed something unusable (CLI flag, path, ...)
  kCancelled = 12,          // the work was cancelled: its asker is gone (killed, or exiting)
  kLimitReached = 13,       // a configured limit refused it (processes, memory, compiles, size)
};

const char* errc_name(Errc code);

struct Error {
  Errc code;
  std::string message;
};

// A value or an Error. Deliberately small: has_value, value, error.
template <class T>
class Expected {
 public:
  Expected(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Expected(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool has_value() const { return state_.index() == 0; }
  explicit operator bool() const { return has_value(); }
  T& value() & { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const T& value() const& { return std::get<0>(state_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

struct Ok {};
using Status = Expected<Ok>;

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace lunatic
