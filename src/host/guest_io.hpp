// Reading what a guest passes by pointer, for every host namespace alike: strings and
// (ptr u32, len u32) buffer arrays, with one set of limits. The caller decides what a refusal
// means: a lunatic::* function traps, a WASI function returns EFAULT or ENAMETOOLONG.
#pragma once

#include <climits>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "engine/memory/guest_memory.hpp"

namespace lunatic::host {

// The longest string a guest passes (a function, registry or config name or value, a path):
// Linux's own limit on one argument. Nothing longer is copied, whatever length a guest claims.
inline constexpr std::uint32_t kMaxGuestString = 128 * 1024;
// The most buffers of an array that one call uses (Linux's IOV_MAX, what readv and writev
// take); later entries are ignored, so a call moves less, as it always may.
inline constexpr std::uint32_t kMaxGuestIovecs = IOV_MAX;

enum class GuestRead { kOk, kOutOfBounds, kTooLong };

struct GuestString {
  GuestRead status = GuestRead::kOk;
  std::string text;  // a copy: the guest may change its memory while the host uses it
};

// The guest string [ptr, ptr + len): kOutOfBounds first, then kTooLong past kMaxGuestString.
GuestString read_guest_string(const engine::GuestMemory& memory, std::uint32_t ptr,
                              std::uint32_t len);

// The buffer array at `array_ptr` of `count` entries: spans over the non-empty buffers among
// the first kMaxGuestIovecs. nullopt when the array or one of those buffers is out of bounds.
std::optional<std::vector<std::span<std::uint8_t>>> read_guest_iovecs(
    const engine::GuestMemory& memory, std::uint32_t array_ptr, std::uint32_t count);

}  // namespace lunatic::host
