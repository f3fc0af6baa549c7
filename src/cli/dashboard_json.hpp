// The dashboard's JSON (cli/dashboard_server.hpp). Process ids are strings: a cluster node's
// ids pass 2^53, past what a JavaScript number holds exactly.
#pragma once

#include <cstdint>

#include <nlohmann/json.hpp>

#include "host/process_snapshot.hpp"

namespace lunatic::cli {

nlohmann::json process_json(const host::ProcessView& process);
// `time_ms`: when it was taken, on a steady clock (for rates between two snapshots).
nlohmann::json snapshot_json(const host::RuntimeSnapshot& snapshot, bool allow_kill,
                             std::uint64_t time_ms);

}  // namespace lunatic::cli
