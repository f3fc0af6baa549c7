// How much fiber stack guest code must leave free, and the limits that make that enough.
//
// Fiber stacks have no guard page. Generated code checks in every function prologue that its
// stack pointer is at least stack_low + kGuestStackMargin, so the deepest a guest can reach is
// one frame below that line (the check may run before the compiler allocates the frame), plus a
// host call made from there. The margin therefore holds the largest frame a function may have
// and the stack a host call may use:
//  - the C compiler refuses any function whose frame is larger than kMaxGuestFrameBytes
//    (-Werror=frame-larger-than): that bounds locals, operand-stack temporaries and spills
//    alike. Declared locals are no measure of it: a debug build of Rust declares thousands,
//    short-lived, that the compiler packs into a few registers and slots;
//  - a function may declare at most kMaxFunctionLocals params and locals (checked when the
//    module is read, with a clear error): the Web's limit, which keeps absurd functions from
//    reaching the C compiler;
//  - host thunks refuse to start with less than kHostStackReserve left (host_function.hpp).
#pragma once

#include <cstdint>

namespace lunatic::engine {

inline constexpr std::uint32_t kMaxFunctionLocals = 50'000;
inline constexpr std::uintptr_t kMaxGuestFrameBytes = 32 * 1024;
inline constexpr std::uintptr_t kHostStackReserve = 32 * 1024;
inline constexpr std::uintptr_t kGuestStackMargin = kMaxGuestFrameBytes + kHostStackReserve;

}  // namespace lunatic::engine
