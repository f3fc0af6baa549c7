#include "common/resource_budget.hpp"

#include <fmt/core.h>

#include "common/byte_size.hpp"

#include <limits>

namespace lunatic {
namespace {

constexpr std::uint64_t kUnlimited = std::numeric_limits<std::uint64_t>::max();

const char* noun(bool processes, bool memory) {
  return processes ? "live processes" : memory ? "of guest memory" : "compiled modules";
}

}  // namespace

std::shared_ptr<ResourceBudget> ResourceBudget::root(BudgetLimits limits, std::string owner) {
  return std::shared_ptr<ResourceBudget>(
      new ResourceBudget(nullptr, limits, std::move(owner), /*reserve=*/true, 0));
}

Expected<std::shared_ptr<ResourceBudget>> ResourceBudget::nested(
    std::shared_ptr<ResourceBudget> parent, BudgetLimits limits, std::string owner) {
  const int depth = parent ? parent->depth_ + 1 : 0;
  if (depth > kMaxDepth) {
    return make_error(
        Errc::kLimitReached,
        fmt::format("configs with limits of their own are nested more than {} deep", kMaxDepth));
  }
  return std::shared_ptr<ResourceBudget>(
      new ResourceBudget(std::move(parent), limits, std::move(owner), /*reserve=*/false, depth));
}

ResourceBudget::ResourceBudget(std::shared_ptr<ResourceBudget> parent, BudgetLimits limits,
                               std::string owner, bool reserve, int depth)
    : parent_(std::move(parent)),
      limits_(limits),
      owner_(std::move(owner)),
      reserve_(reserve),
      depth_(depth) {}

std::atomic<std::uint64_t>& ResourceBudget::counter(Kind kind) {
  switch (kind) {
    case Kind::kProcesses:
      return processes_;
    case Kind::kMemory:
      return memory_;
    case Kind::kCompiles:
      break;
  }
  return compiles_;
}

std::uint64_t ResourceBudget::limit(Kind kind) const {
  switch (kind) {
    case Kind::kProcesses:
      return limits_.max_processes;
    case Kind::kMemory:
      return limits_.max_memory_bytes;
    case Kind::kCompiles:
      break;
  }
  return limits_.max_compiles;
}

std::uint64_t ResourceBudget::ceiling(Kind kind, Privilege privilege) const {
  const std::uint64_t max = limit(kind);
  if (max == 0) return kUnlimited;
  if (!reserve_ || kind == Kind::kCompiles || privilege == Privilege::kRoot) return max;
  const std::uint64_t reserve = (max + 15) / 16;
  return privilege == Privilege::kSupervisor ? max - reserve / 2 : max - reserve;
}

Status ResourceBudget::charge(Kind kind, std::uint64_t amount, Privilege privilege) {
  for (ResourceBudget* budget = this; budget != nullptr; budget = budget->parent_.get()) {
    const std::uint64_t ceiling = budget->ceiling(kind, privilege);
    std::atomic<std::uint64_t>& count = budget->counter(kind);
    std::uint64_t current = count.load(std::memory_order_relaxed);
    bool charged = false;
    while (current <= ceiling && amount <= ceiling - current) {
      if (count.compare_exchange_weak(current, current + amount, std::memory_order_relaxed)) {
        charged = true;
        break;
      }
    }
    if (!charged) {
      uncharge(kind, amount, budget);  // what was counted below this one
      return make_error(Errc::kLimitReached, budget->refusal(kind, privilege));
    }
  }
  return Ok{};
}

void ResourceBudget::uncharge(Kind kind, std::uint64_t amount, const ResourceBudget* stop) {
  for (ResourceBudget* budget = this; budget != stop; budget = budget->parent_.get()) {
    budget->counter(kind).fetch_sub(amount, std::memory_order_relaxed);
  }
}

std::string ResourceBudget::refusal(Kind kind, Privilege privilege) const {
  const bool processes = kind == Kind::kProcesses;
  const bool memory = kind == Kind::kMemory;
  const std::uint64_t max = limit(kind);
  std::string text =
      fmt::format("{}'s limit of {} {} is reached", owner_,
                  memory ? human_bytes(max) : std::to_string(max), noun(processes, memory));
  const std::uint64_t ceiling = this->ceiling(kind, privilege);
  if (ceiling < max) {
    const std::string kept =
        memory ? human_bytes(max - ceiling) : fmt::format("{} processes", max - ceiling);
    text += fmt::format(" (the last {} are kept for supervisors and the main process)", kept);
  }
  return text;
}

Status ResourceBudget::add_process(Privilege privilege) {
  return charge(Kind::kProcesses, 1, privilege);
}
void ResourceBudget::remove_process() { uncharge(Kind::kProcesses, 1, nullptr); }

Status ResourceBudget::charge_memory(std::uint64_t bytes, Privilege privilege) {
  if (bytes == 0) return Ok{};
  return charge(Kind::kMemory, bytes, privilege);
}
void ResourceBudget::release_memory(std::uint64_t bytes) {
  if (bytes != 0) uncharge(Kind::kMemory, bytes, nullptr);
}

Status ResourceBudget::count_compile() { return charge(Kind::kCompiles, 1, Privilege::kRoot); }

Status BudgetCharge::hold(const std::shared_ptr<ResourceBudget>& budget, std::uint64_t bytes,
                          Privilege privilege) {
  if (!budget) {  // nothing to count against
    reset();
    return Ok{};
  }
  if (budget == budget_) {
    if (bytes > bytes_) {
      if (auto charged = budget_->charge_memory(bytes - bytes_, privilege); !charged)
        return charged;
    } else if (bytes < bytes_) {
      budget_->release_memory(bytes_ - bytes);
    }
    bytes_ = bytes;
    return Ok{};
  }
  if (auto charged = budget->charge_memory(bytes, privilege); !charged) return charged;
  reset();
  budget_ = budget;
  bytes_ = bytes;
  return Ok{};
}

void BudgetCharge::reset() {
  if (budget_ && bytes_ != 0) budget_->release_memory(bytes_);
  budget_.reset();
  bytes_ = 0;
}

}  // namespace lunatic
