#include "host/code_upgrade.hpp"

#include <fmt/core.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>
#include <utility>

#include "engine/module.hpp"
#include "host/code_versions.hpp"
#include "host/environment.hpp"
#include "runtime/process.hpp"
#include "runtime/scheduler.hpp"

namespace lunatic::host {

std::string UpgradeReport::summary() const {
  std::string text = fmt::format("{} upgraded", upgraded);
  if (restarted != 0) text += fmt::format(", {} restarted", restarted);
  if (purged != 0) text += fmt::format(", {} purged", purged);
  if (failed != 0) text += fmt::format(", {} failed", failed);
  if (timed_out != 0) text += fmt::format(", {} timed out", timed_out);
  if (nodes > 1) text += fmt::format(" on {} nodes", nodes);
  if (nodes_incomplete != 0) text += fmt::format(", {} node(s) did not complete", nodes_incomplete);
  if (!failures.empty()) text += " (" + failures.front() + ")";
  return text;
}

UpgradeBatch::UpgradeBatch() : event_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (event_.get() < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

void UpgradeBatch::settle(std::uint64_t process, Answer answer, const std::string& why) {
  {
    std::lock_guard guard(mutex_);
    if (closed_) return;
    if (answer == Answer::kUpgraded) {
      ++answers_.upgraded;
    } else if (answer == Answer::kRestarted) {
      ++answers_.restarted;
    } else {
      ++answers_.failed;
      answers_.add_failure(fmt::format("process {}: {}", process, why));
    }
  }
  count_down();
}

void UpgradeBatch::count_down() {
  if (outstanding_.fetch_sub(1, std::memory_order_acq_rel) == 1 && sealed_) {
    const std::uint64_t one = 1;
    [[maybe_unused]] const ssize_t written = ::write(event_.get(), &one, sizeof one);
  }
}

void UpgradeBatch::seal() {
  // One extra count held while targets are added, so the last answer cannot come before the seal.
  sealed_ = true;
  expect_one();
  count_down();
}

void UpgradeBatch::close_and_add_to(UpgradeReport& report) {
  std::lock_guard guard(mutex_);
  closed_ = true;
  report.upgraded += answers_.upgraded;
  report.restarted += answers_.restarted;
  report.failed += answers_.failed;
  for (const std::string& failure : answers_.failures) report.add_failure(failure);
}

UpgradeTicket::UpgradeTicket(std::shared_ptr<UpgradeBatch> batch_in, std::uint64_t process_in,
                             std::shared_ptr<const engine::Module> target_in, bool restart_in)
    : batch(std::move(batch_in)),
      process(process_in),
      target(std::move(target_in)),
      restart(restart_in) {
  batch->expect_one();
}

UpgradeTicket::~UpgradeTicket() {
  const Stage stage = stage_.load(std::memory_order_acquire);
  if (stage == Stage::kPending || stage == Stage::kTaken) {
    batch->settle(process, UpgradeBatch::Answer::kEnded,
                  "it ended before it reached a message boundary");
  }
}

bool UpgradeTicket::take() {
  Stage expected = Stage::kPending;
  return stage_.compare_exchange_strong(expected, Stage::kTaken, std::memory_order_acq_rel);
}

bool UpgradeTicket::cancel() {
  Stage expected = Stage::kPending;
  return stage_.compare_exchange_strong(expected, Stage::kCancelled, std::memory_order_acq_rel);
}

void UpgradeTicket::settle(UpgradeBatch::Answer answer, const std::string& why) {
  if (stage_.exchange(Stage::kSettled, std::memory_order_acq_rel) == Stage::kSettled) return;
  batch->settle(process, answer, why);
}

namespace {

// Null when the module exports `name` with `signature`, else why not.
std::optional<std::string> lacks_export(const engine::Module& module, const char* name,
                                        std::string_view signature) {
  const engine::ExportDescription* found = module.description().find_export(name);
  if (found == nullptr || found->kind != engine::ExternKind::kFunction) {
    return fmt::format("the module exports no function `{}`", name);
  }
  if (found->signature != signature) {
    return fmt::format("`{}` has type {}, not {}", name, found->signature, signature);
  }
  return std::nullopt;
}

// Waits until the batch is done or the deadline passes; true when done.
bool wait_for(UpgradeBatch& batch, const UpgradeOptions& options, runtime::Blocking* waiter) {
  while (!batch.done()) {
    const auto now = runtime::Clock::now();
    if (options.deadline && now >= *options.deadline) return false;
    if (waiter != nullptr) {
      const runtime::FdInterest interest{batch.ready_fd(), /*read=*/true, /*write=*/false};
      runtime::FdReadiness readiness;
      waiter->wait_fds({&interest, 1}, {&readiness, 1}, options.deadline);
    } else {
      pollfd descriptor{batch.ready_fd(), POLLIN, 0};
      int timeout_ms = -1;
      if (options.deadline) {
        timeout_ms = static_cast<int>(
            std::chrono::ceil<std::chrono::milliseconds>(*options.deadline - now).count());
      }
      ::poll(&descriptor, 1, timeout_ms);
    }
  }
  return true;
}

}  // namespace

Expected<UpgradeReport> upgrade_processes(Environment& environment,
                                          std::vector<std::shared_ptr<runtime::Process>> targets,
                                          const std::shared_ptr<const engine::Module>& from,
                                          const std::shared_ptr<const engine::Module>& to,
                                          const UpgradeOptions& options,
                                          runtime::Blocking* waiter) {
  for (const auto& [name, signature] : {std::pair{kUpgradeLoadExport, "() -> (i32)"},
                                        std::pair{kUpgradeResumeExport, "() -> ()"}}) {
    if (auto why = lacks_export(*to, name, signature)) {
      return make_error(Errc::kInvalidArgument, "the new code cannot take over a process: " + *why);
    }
  }
  CodeVersions& versions = environment.code_versions();
  if (auto refused = versions.check(from, to, options.purge, environment.scheduler())) {
    return *refused;
  }
  UpgradeReport report;
  const auto cannot_save = lacks_export(*from, kUpgradeSaveExport, "() -> (i32)");
  auto batch = std::make_shared<UpgradeBatch>();
  std::vector<std::pair<std::shared_ptr<runtime::Process>, std::shared_ptr<UpgradeTicket>>> tickets;
  tickets.reserve(targets.size());
  for (const auto& process : targets) {
    if (cannot_save) {
      if (options.restart) {
        process->kill("restarted: its code cannot hand its state to a new version");
        ++report.restarted;
      } else {
        ++report.failed;
        report.add_failure(fmt::format("process {}: {}", process->id(), *cannot_save));
      }
      continue;
    }
    auto ticket = std::make_shared<UpgradeTicket>(batch, process->id(), to, options.restart);
    switch (process->post_upgrade(ticket)) {
      case runtime::Process::UpgradePost::kPosted:
        tickets.emplace_back(process, std::move(ticket));
        break;
      case runtime::Process::UpgradePost::kDead:
        ticket->settle(UpgradeBatch::Answer::kEnded, "it has ended");
        break;
      case runtime::Process::UpgradePost::kBusy:
        ticket->settle(UpgradeBatch::Answer::kFailed, "another upgrade of it is under way");
        break;
    }
  }
  batch->seal();
  if (!wait_for(*batch, options, waiter)) {
    // Those that have not begun never will, and leave the slot for a later request; one under
    // way may still finish after the report.
    for (const auto& [process, ticket] : tickets) {
      if (ticket->cancel()) process->withdraw_upgrade(ticket.get());
    }
  }
  const std::uint64_t failed_before = report.failed;
  const std::uint64_t restarted_before = report.restarted;
  batch->close_and_add_to(report);
  const std::uint64_t answered =
      report.upgraded + (report.restarted - restarted_before) + (report.failed - failed_before);
  report.timed_out = tickets.size() - std::min<std::uint64_t>(answered, tickets.size());
  if (report.upgraded != 0 || report.restarted != 0) {
    // The new code is current now; what still runs the version it retires goes if asked.
    for (const auto& process : versions.commit(from, to, environment.scheduler())) {
      if (!options.purge) continue;
      process->kill("purged: a third version of its code was loaded");
      ++report.purged;
    }
  }
  return report;
}

}  // namespace lunatic::host
