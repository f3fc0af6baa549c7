// Host functions: typed C++ functions exposed to guests as wasm imports.
//
// A host function is written as `R fn(HostContext&, A...)` with R and A among uint32_t (i32),
// uint64_t (i64), float (f32), double (f64), and R may be void.
// host_function<&fn, "module", "name">() derives the wasm signature from the C++ type and wraps
// fn in a thunk with the C ABI that generated code calls: `R thunk(void* ctx, A...)`. The thunk
// converts every failure (fail(), GuestTrap, GuestExit, any exception) into an unwind of the
// calling guest, after all host objects are gone. It knows the function's name, so a failure
// reads "module::name: <what>" without the function passing its own name around.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>

#include "engine/execution/execution.hpp"
#include "engine/execution/stack_limits.hpp"
#include "engine/execution/trap.hpp"
#include "engine/import_table.hpp"
#include "host/host_context.hpp"

namespace lunatic::host {

// A host function's namespace or name, as a template argument.
template <std::size_t N>
struct ImportName {
  constexpr ImportName(const char (&text)[N]) { std::copy_n(text, N, chars); }
  constexpr std::string_view view() const { return {chars, N - 1}; }
  char chars[N];
};

// Why a host function refuses the call: a bad id, a bad argument, a missing permission. The
// thunk ends the calling process with a trap "module::name: <what>".
struct CallRefused {
  std::string what;
};
[[noreturn]] inline void fail(std::string what) { throw CallRefused{std::move(what)}; }

namespace detail {

template <class T>
constexpr const char* wasm_type_name() {
  if constexpr (std::is_same_v<T, std::uint32_t>)
    return "i32";
  else if constexpr (std::is_same_v<T, std::uint64_t>)
    return "i64";
  else if constexpr (std::is_same_v<T, float>)
    return "f32";
  else if constexpr (std::is_same_v<T, double>)
    return "f64";
  else
    static_assert(sizeof(T) == 0, "host functions take and return only i32/i64/f32/f64");
}

template <class R, class... A>
std::string signature_of() {
  std::string sig = "(";
  bool first = true;
  ((sig += (first ? "" : " "), sig += wasm_type_name<A>(), first = false), ...);
  sig += ") -> (";
  if constexpr (!std::is_void_v<R>) sig += wasm_type_name<R>();
  sig += ")";
  return sig;
}

// The cold halves of every thunk, out of line so that each thunk stays a few instructions
// around its call (a message hop makes five host calls).
// Unwinds the guest: a host call found less than kHostStackReserve of stack left.
[[noreturn, gnu::noinline, gnu::cold]] void unwind_short_of_stack();
// Records the exception being handled as the reason to unwind, naming the host function that
// failed; called from a catch block.
[[gnu::noinline, gnu::cold]] void record_current_failure(std::string_view module,
                                                         std::string_view name) noexcept;

template <auto Fn, ImportName Module, ImportName Name, class R, class... A>
struct Thunk {
  static R call(void* raw_context, A... args) {
    // Fiber stacks have no guard page: host code running past the end would overwrite a
    // neighbouring stack. Guest code's stack margin leaves its host calls about this much.
    if (engine::stack_headroom() < engine::kHostStackReserve) [[unlikely]]
      unwind_short_of_stack();
    // SAFETY: the engine passes the instance's HostContext as every import module's pointer.
    HostContext& context = *static_cast<HostContext*>(raw_context);
    try {
      return Fn(context, args...);
    } catch (...) {
      record_current_failure(Module.view(), Name.view());
    }
    // Every object of this frame is destroyed by now; only C frames of generated code remain.
    engine::unwind_guest();
  }
};

template <auto Fn, ImportName Module, ImportName Name, class R, class... A>
engine::ImportFunction make(R (*)(HostContext&, A...)) {
  auto entry = &Thunk<Fn, Module, Name, R, A...>::call;
  return engine::ImportFunction{std::string(Module.view()), std::string(Name.view()),
                                signature_of<R, A...>(), reinterpret_cast<void (*)()>(entry)};
}

}  // namespace detail

template <auto Fn, ImportName Module, ImportName Name>
engine::ImportFunction host_function() {
  return detail::make<Fn, Module, Name>(Fn);
}

}  // namespace lunatic::host
