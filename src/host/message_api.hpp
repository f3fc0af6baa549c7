// lunatic::message host functions.
#pragma once

#include <cstdint>
#include <vector>

#include "host/host_function.hpp"
#include "host/return_codes.hpp"

namespace lunatic::host {

std::vector<engine::ImportFunction> message_functions();

// Sends the scratch message to a local process and waits for a reply tagged `tag` (the local
// half of lunatic::distributed::send_receive_skip_search). Returns kOk, kTimedOut or
// kMailboxFull (nothing was sent).
std::uint32_t distributed_send_receive(HostContext& context, std::uint64_t process_id,
                                       std::uint64_t tag, std::uint64_t timeout_ms);

// Waits for a message tagged `tag` among those that arrive after the first `skip` now queued,
// into the scratch area (the receiving half of a send_receive_skip_search to another node).
// Returns kOk or kTimedOut.
std::uint32_t receive_reply(HostContext& context, std::int64_t tag, std::uint64_t timeout_ms,
                            std::size_t skip);

}  // namespace lunatic::host
