// Hot code upgrade, the target's side: at a message boundary, on the process's own fiber, the
// old code hands its state over (lunatic_upgrade_save), a new instance of the new code is made
// in the same process and converts it (lunatic_upgrade_load), and only then does the process
// switch: its old code's frames unwind to the process body, which frees the old instance and
// calls lunatic_upgrade_resume. The process keeps its id, mailbox, links, monitors, names and
// resources (they live in HostContext and runtime::Process, not in the instance). Until the
// switch, any failure leaves the old code running as if nothing had been asked.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "engine/execution/instance.hpp"

namespace lunatic::host {

struct HostContext;
struct UpgradeTicket;

// What a process holds while it moves to new code.
struct CodeChange {
  enum class Phase : std::uint8_t { kSaving, kLoading, kReady };
  Phase phase = Phase::kSaving;
  bool saved = false;
  std::string version;  // the old code's name for itself, as it gave it
  std::string state;    // the bytes it handed over
  std::shared_ptr<UpgradeTicket> ticket;
  std::unique_ptr<engine::Instance> next_instance;  // kReady: loaded and converted
  std::uint64_t next_memory_bytes = 0;              // what next_instance holds
};

// Largest state and version a process may hand over.
inline constexpr std::uint64_t kMaxUpgradeStateBytes = std::uint64_t{64} << 20;
inline constexpr std::uint64_t kMaxUpgradeVersionBytes = 256;

// At a message boundary: takes the process's pending upgrade request, if any, and tries it.
// Returns when the process keeps its code (no request, cancelled, or failed: the asker is told
// why). When the new code has taken over, throws GuestTrap{kUpgrade}: the host thunk unwinds
// the old code to the process body, which calls switch_code. A kill or an exit during the
// guest's upgrade calls still ends the process.
void run_pending_upgrade(HostContext& context);

// After the old code unwound with kUpgrade: frees it, makes the new instance the process's and
// tells the asker. Returns the new code's lunatic_upgrade_resume, to be called next.
const lunatic_export_t& switch_code(HostContext& context,
                                    std::unique_ptr<engine::Instance>& instance);

}  // namespace lunatic::host
