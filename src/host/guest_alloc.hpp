// Returning a buffer the guest allocates: Lunatic's write_to_guest_vec. The host calls the
// guest's export `lunatic_alloc(len) -> ptr` (lunatic-rs defines it), copies the bytes there and
// stores their length, and the guest takes the buffer as its own (a Vec from raw parts).
// Thread: the thread running the calling process, from inside one of its host calls.
#pragma once

#include <cstdint>
#include <span>

#include "host/host_context.hpp"

namespace lunatic::host {

// Copies `data` into a new guest allocation and stores its length as a u32 at `len_ptr`.
// Returns: the allocation's address. Traps: no export `lunatic_alloc` of type (i32) -> (i32),
// it trapped (its trap ends the process), the block it returned or `len_ptr` is out of bounds.
std::uint32_t copy_to_guest_allocation(HostContext& context, std::span<const std::uint8_t> data,
                                       std::uint32_t len_ptr);

}  // namespace lunatic::host
