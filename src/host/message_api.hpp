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

}  // namespace lunatic::host
