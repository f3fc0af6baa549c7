// What introspection (a dashboard, from a thread that runs no process) sees of one live process
// at one moment. Each field is read consistently; the whole is not quite: the cheap counters
// (CPU time, memory) are read before the lock that guards the rest, and nothing is stopped
// while a snapshot of many processes is taken.
#pragma once

#include <cstdint>
#include <vector>

namespace lunatic::runtime {

// Where a process is: runnable (queued or running; the two are not told apart) or waiting, and
// for what.
enum class ProcessStatus : std::uint8_t {
  kRunnable,
  kWaitingMessage,
  kWaitingTimer,  // sleeping
  kWaitingIo,     // a socket, descriptor or compile
  kFinished,      // ended, not yet gone from the table
};

struct ProcessInfo {
  std::uint64_t id = 0;
  std::uint64_t parent = 0;      // the process that spawned it; 0 for the root
  const void* module = nullptr;  // what it runs, as an identity (never dereferenced)
  ProcessStatus status = ProcessStatus::kRunnable;
  bool kill_pending = false;
  std::uint64_t mailbox_messages = 0;
  std::uint64_t mailbox_bytes = 0;          // data of queued data messages
  std::uint64_t memory_bytes = 0;           // linear memory and tables
  std::uint64_t cpu_ns = 0;                 // sampled, while on (Scheduler::enable_cpu_sampling)
  std::vector<std::uint64_t> links;         // linked processes
  std::vector<std::uint64_t> monitored_by;  // processes that monitor this one
};

}  // namespace lunatic::runtime
