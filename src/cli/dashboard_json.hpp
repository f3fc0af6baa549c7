// The dashboard's JSON (cli/dashboard_server.hpp), as text. Process ids are strings: a cluster
// node's ids pass 2^53, past what a JavaScript number holds exactly. Written straight into one
// string rather than built as a JSON tree first: the page asks for a snapshot of up to 2,000
// processes every second, and the tree's allocations were most of its cost.
#pragma once

#include <cstdint>
#include <string>

#include "host/process_snapshot.hpp"

namespace lunatic::cli {

std::string process_json(const host::ProcessView& process);
// `time_ms`: when it was taken, on a steady clock (for rates between two snapshots).
std::string snapshot_json(const host::RuntimeSnapshot& snapshot, bool allow_kill,
                          std::uint64_t time_ms);

}  // namespace lunatic::cli
