// Hot code upgrade, the asker's side: asks processes to move to a new version of their code and
// waits for their answers (docs/hot-upgrade.md).
//
// Each target gets a ticket in its process's upgrade slot (runtime::Process::post_upgrade). The
// target acts on it at its next message boundary, on its own fiber (host/code_change.hpp), and
// settles it; a target that ends first, or a ticket cancelled at the asker's deadline, settles
// it too. The batch counts the answers and signals an eventfd when the last one is in.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "runtime/blocking.hpp"

namespace lunatic::engine {
class Module;
}  // namespace lunatic::engine
namespace lunatic::runtime {
class Process;
}  // namespace lunatic::runtime

namespace lunatic::host {

class Environment;

// Export names of the guest side of an upgrade (docs/abi.md, "lunatic::upgrade").
inline constexpr const char* kUpgradeSaveExport = "lunatic_upgrade_save";      // () -> (i32)
inline constexpr const char* kUpgradeLoadExport = "lunatic_upgrade_load";      // () -> (i32)
inline constexpr const char* kUpgradeResumeExport = "lunatic_upgrade_resume";  // () -> ()

struct UpgradeOptions {
  // Kill the processes that still run the oldest version when a third one is loaded.
  bool purge = false;
  // Kill the processes whose code cannot hand over its state (no lunatic_upgrade_save, or one
  // that refuses or hands nothing over), so their supervisors restart them, instead of
  // reporting them as failed.
  bool restart = false;
  std::optional<runtime::Clock::time_point> deadline;  // none: wait for every answer
};

struct UpgradeReport {
  std::uint64_t upgraded = 0;
  std::uint64_t failed = 0;  // each kept its old code; `failures` says why
  // Had not answered by the deadline: most had not reached a message boundary (and never will
  // for this request); one that was under way may still finish.
  std::uint64_t timed_out = 0;
  std::uint64_t restarted = 0;  // killed for their supervisors to restart (UpgradeOptions)
  std::uint64_t purged = 0;     // killed for running the version a third one retired
  // Rolled out over a cluster: the nodes asked (this one included), and those that refused
  // the upgrade as a whole or did not answer.
  std::uint64_t nodes = 1;
  std::uint64_t nodes_incomplete = 0;
  std::vector<std::string> failures;  // "process N: why", the first kMaxFailures of them

  static constexpr std::size_t kMaxFailures = 16;
  bool complete() const { return failed == 0 && timed_out == 0 && nodes_incomplete == 0; }
  void add_failure(std::string why) {
    if (failures.size() < kMaxFailures) failures.push_back(std::move(why));
  }
  std::string summary() const;  // "3 upgraded, 1 failed (process 7: ...)"
};

// The answers of one upgrade's targets.
class UpgradeBatch {
 public:
  UpgradeBatch();  // throws std::system_error when no eventfd can be made
  enum class Answer : std::uint8_t { kUpgraded, kRestarted, kFailed, kEnded };

  void expect_one() { outstanding_.fetch_add(1, std::memory_order_relaxed); }
  void settle(std::uint64_t process, Answer answer, const std::string& why);
  // Readable once every expected answer is in (after seal()).
  int ready_fd() const { return event_.get(); }
  void seal();  // no more targets: a batch with none outstanding is ready now
  bool done() const { return outstanding_.load(std::memory_order_acquire) == 0 && sealed_; }
  // Adds the answers so far to `report`; later ones are ignored (the asker stopped waiting).
  void close_and_add_to(UpgradeReport& report);

 private:
  void count_down();
  UniqueFd event_;
  std::atomic<std::uint64_t> outstanding_{0};
  std::atomic<bool> sealed_{false};
  std::mutex mutex_;
  bool closed_ = false;
  UpgradeReport answers_;
};

// What a target finds in its upgrade slot.
struct UpgradeTicket {
  enum class Stage : std::uint8_t { kPending, kTaken, kCancelled, kSettled };

  UpgradeTicket(std::shared_ptr<UpgradeBatch> batch, std::uint64_t process,
                std::shared_ptr<const engine::Module> target, bool restart);
  ~UpgradeTicket();  // a ticket never settled (its process ended) answers kEnded
  UpgradeTicket(const UpgradeTicket&) = delete;
  UpgradeTicket& operator=(const UpgradeTicket&) = delete;

  // The target takes it; false when the asker cancelled it first.
  bool take();
  // The asker gives up on it; false when the target took it first.
  bool cancel();
  void settle(UpgradeBatch::Answer answer, const std::string& why = {});

  const std::shared_ptr<UpgradeBatch> batch;
  const std::uint64_t process;
  const std::shared_ptr<const engine::Module> target;
  // The process ends, for its supervisor to restart it, when its code hands no state over.
  const bool restart;

 private:
  std::atomic<Stage> stage_{Stage::kPending};
};

// Moves `targets`, which run `from`, to `to`: checks that `to` has the entry points and that
// the version rule allows it (host/code_versions.hpp), posts a ticket to each, and waits for
// the answers or the deadline. `waiter` suspends a calling process; nullptr blocks the thread
// (a control socket's). Errors: the upgrade as a whole was refused; nothing was asked then.
Expected<UpgradeReport> upgrade_processes(Environment& environment,
                                          std::vector<std::shared_ptr<runtime::Process>> targets,
                                          const std::shared_ptr<const engine::Module>& from,
                                          const std::shared_ptr<const engine::Module>& to,
                                          const UpgradeOptions& options, runtime::Blocking* waiter);

}  // namespace lunatic::host
