// Module: a wasm module compiled at run time (lunatic::process::compile_module), owned and
// dropped on destruction; processes can be spawned from any of its exports.
#pragma once

#include <lunatic/abi.h>

#include <cstdint>
#include <initializer_list>
#include <lunatic/config.hpp>
#include <lunatic/detail/message_io.hpp>
#include <lunatic/process.hpp>
#include <lunatic/result.hpp>
#include <span>
#include <string_view>
#include <utility>
#include <vector>

namespace lunatic {

// One parameter of an exported function: i32 or i64.
struct Param {
  static Param i32(std::int32_t value) { return {LUNATIC_PARAM_I32, value}; }
  static Param i64(std::int64_t value) { return {LUNATIC_PARAM_I64, value}; }
  std::uint8_t type;
  std::int64_t value;
};

class Module {
 public:
  // kPermission without can_compile_modules; kHost with the runtime's reason for bytes that are
  // not a valid, supported module.
  static Result<Module> compile(std::span<const std::uint8_t> wasm) {
    std::uint64_t id = 0;
    const std::int32_t status =
        lunatic_compile_module(detail::address(wasm.data()),
                               static_cast<std::uint32_t>(wasm.size()), detail::address(&id));
    if (status == -1) return Error{ErrorKind::kPermission, "this process may not compile modules"};
    if (status != 0) return Error{ErrorKind::kHost, detail::take_host_error(id)};
    return Module(id);
  }

  Module(Module&& other) noexcept : id_(std::exchange(other.id_, kNone)) {}
  Module& operator=(Module&& other) noexcept {
    if (this != &other) {
      drop();
      id_ = std::exchange(other.id_, kNone);
    }
    return *this;
  }
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  ~Module() { drop(); }

  std::uint64_t id() const { return id_; }

  // Spawns `function(params...)` from this module. A function that does not exist, or whose
  // parameters differ, is the child's failure (as in Lunatic), not an error here.
  template <class Msg = std::monostate>
  Result<Process<Msg>> spawn(std::string_view function, std::initializer_list<Param> params = {},
                             const SpawnOptions& options = {}) const {
    std::vector<std::uint8_t> records(params.size() * 17);
    std::size_t offset = 0;
    for (const Param& param : params) {
      detail::write_param(records.data() + offset, param.type, param.value);
      offset += 17;
    }
    std::uint64_t child = 0;
    const std::uint32_t status =
        lunatic_spawn(options.link.value_or(0), Config::id_of(options.config),
                      static_cast<std::int64_t>(id_), detail::address(function.data()),
                      static_cast<std::uint32_t>(function.size()), detail::address(records.data()),
                      static_cast<std::uint32_t>(records.size()), detail::address(&child));
    if (status != 0) return Error{ErrorKind::kHost, detail::take_host_error(child)};
    return Process<Msg>(ProcessId{child});
  }

 private:
  static constexpr std::uint64_t kNone = ~std::uint64_t{0};
  explicit Module(std::uint64_t id) : id_(id) {}
  void drop() {
    if (id_ != kNone) lunatic_drop_module(id_);
    id_ = kNone;
  }

  std::uint64_t id_;
};

}  // namespace lunatic
