// Limits on what the runtime, or a subtree of its processes, may hold: live processes, guest
// memory (linear memories, tables and fiber stacks), and modules compiled at run time.
//
// Budgets form a tree that follows who spawned whom. The runtime has the root budget (its
// --max-processes and --max-memory); a process spawned with a config that sets limits of its
// own heads a nested budget under its spawner's, and everything it and its descendants spawn,
// grow or compile counts against that budget and every one above it. A charge that would pass
// any of them is refused as a whole: nothing is counted, and the caller refuses the spawn or the
// grow. Nothing is ever killed for a limit.
//
// The root budget keeps a reserve (a sixteenth of each limit) that ordinary processes cannot
// use: supervisors (processes that trap link deaths) may use half of it and the main process
// all of it, so when a runaway subtree hits the limit they can still spawn, grow and restart.
//
// Thread: every method may be called from any thread; the counts are atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "common/error.hpp"

namespace lunatic {

// Who is charging: decides how much of a root budget's reserve it may use.
enum class Privilege : std::uint8_t { kNormal, kSupervisor, kRoot };

struct BudgetLimits {
  std::uint64_t max_processes = 0;     // live processes; 0: no limit here
  std::uint64_t max_memory_bytes = 0;  // guest memory held at once; 0: no limit here
  std::uint64_t max_compiles = 0;      // modules compiled, over the budget's life; 0: no limit

  bool any() const { return max_processes != 0 || max_memory_bytes != 0 || max_compiles != 0; }
};

class ResourceBudget {
 public:
  // How deep budgets may nest: each level is one more check per spawn and grow, and a guest
  // that nests configs in a loop must not make that cost unbounded.
  static constexpr int kMaxDepth = 32;

  // The runtime's budget; `owner` names it in refusals ("the runtime").
  static std::shared_ptr<ResourceBudget> root(BudgetLimits limits, std::string owner);
  // A budget under `parent`. Returns: it, or kLimitReached when nesting would pass kMaxDepth.
  static Expected<std::shared_ptr<ResourceBudget>> nested(std::shared_ptr<ResourceBudget> parent,
                                                          BudgetLimits limits, std::string owner);

  ResourceBudget(const ResourceBudget&) = delete;
  ResourceBudget& operator=(const ResourceBudget&) = delete;

  // One more live process here and above. Returns: success, or kLimitReached with a message
  // naming the limit that was reached.
  Status add_process(Privilege privilege);
  void remove_process();
  // `bytes` more guest memory here and above. Returns: as add_process.
  Status charge_memory(std::uint64_t bytes, Privilege privilege);
  void release_memory(std::uint64_t bytes);
  // One more module compiled here and above (never given back). Returns: as add_process.
  Status count_compile();

  const BudgetLimits& limits() const { return limits_; }
  std::uint64_t processes() const { return processes_.load(std::memory_order_relaxed); }
  std::uint64_t memory_bytes() const { return memory_.load(std::memory_order_relaxed); }
  std::uint64_t compiles() const { return compiles_.load(std::memory_order_relaxed); }
  const ResourceBudget* parent() const { return parent_.get(); }

 private:
  enum class Kind : std::uint8_t { kProcesses, kMemory, kCompiles };

  ResourceBudget(std::shared_ptr<ResourceBudget> parent, BudgetLimits limits, std::string owner,
                 bool reserve, int depth);
  std::atomic<std::uint64_t>& counter(Kind kind);
  std::uint64_t limit(Kind kind) const;
  // What `privilege` may bring the count of `kind` up to here; UINT64_MAX when unlimited.
  std::uint64_t ceiling(Kind kind, Privilege privilege) const;
  // Adds `amount` here and above, or nowhere. Returns: success, or the refusal's message.
  Status charge(Kind kind, std::uint64_t amount, Privilege privilege);
  void uncharge(Kind kind, std::uint64_t amount, const ResourceBudget* stop);
  std::string refusal(Kind kind, Privilege privilege) const;

  const std::shared_ptr<ResourceBudget> parent_;
  const BudgetLimits limits_;
  const std::string owner_;
  const bool reserve_;  // the root's: keep a share for supervisors and the main process
  const int depth_;
  std::atomic<std::uint64_t> processes_{0};
  std::atomic<std::uint64_t> memory_{0};
  std::atomic<std::uint64_t> compiles_{0};
};

// Host memory held for a guest (a message's buffer, a registry entry, a config's strings),
// counted against a budget as guest memory is and given back when the charge ends. The budget
// is kept alive as long as something is charged to it. Move-only; thread: one owner at a time.
class BudgetCharge {
 public:
  BudgetCharge() = default;
  ~BudgetCharge() { reset(); }
  BudgetCharge(BudgetCharge&& other) noexcept
      : budget_(std::move(other.budget_)), bytes_(std::exchange(other.bytes_, 0)) {}
  BudgetCharge& operator=(BudgetCharge&& other) noexcept {
    if (this != &other) {
      reset();
      budget_ = std::move(other.budget_);
      bytes_ = std::exchange(other.bytes_, 0);
    }
    return *this;
  }
  BudgetCharge(const BudgetCharge&) = delete;
  BudgetCharge& operator=(const BudgetCharge&) = delete;

  // Makes the charge `bytes` against `budget`: only the difference when the budget is the one
  // charged already (the common case costs no atomic operation when nothing changed).
  // Returns: success, or the budget's refusal, and then the charge is as it was.
  Status hold(const std::shared_ptr<ResourceBudget>& budget, std::uint64_t bytes,
              Privilege privilege);
  void reset();
  std::uint64_t bytes() const { return bytes_; }

 private:
  std::shared_ptr<ResourceBudget> budget_;
  std::uint64_t bytes_ = 0;
};

}  // namespace lunatic
