// The runtime's own limits (--max-processes, --max-memory) and their defaults, derived from the
// machine so that a runaway or hostile guest meets a refused spawn or memory.grow long before
// the kernel's out-of-memory killer meets the runtime.
#pragma once

#include <cstdint>
#include <optional>

#include "common/resource_budget.hpp"

namespace lunatic::host {

// Physical memory of the machine, in bytes.
std::uint64_t physical_memory_bytes();

// Defaults: guest memory (linear memories, tables and fiber stacks: every byte a guest can
// touch) up to the machine's physical memory; live processes up to one per 32 KiB of it, for
// the host state each holds besides (its Process, mailbox, resources). `max_processes` and
// `max_memory` override them when given; 0 means no limit.
BudgetLimits runtime_limits(std::optional<std::uint64_t> max_processes,
                            std::optional<std::uint64_t> max_memory);

}  // namespace lunatic::host
