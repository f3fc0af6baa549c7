#include "host/global_registry.hpp"

namespace lunatic::host {

GlobalRegistry::GlobalRegistry(cluster::Cluster* cluster)
    : cluster_(cluster), calls_(cluster != nullptr ? std::make_unique<BlockingCalls>() : nullptr) {}

GlobalRegistry::~GlobalRegistry() { calls_.reset(); }

Expected<std::uint64_t> GlobalRegistry::put(runtime::Blocking& waiter, const std::string& name,
                                            std::uint64_t process) {
  used_.store(true, std::memory_order_relaxed);
  if (cluster_ == nullptr) {
    std::lock_guard guard(mutex_);
    const auto [entry, added] = local_.try_emplace(name, process);
    if (added) held_[process].insert(name);
    return entry->second;
  }
  // On the calls' thread, so that a process that ends meanwhile has its names released after
  // this one is recorded (process_ended queues behind it).
  {
    std::lock_guard guard(mutex_);
    ++puts_in_flight_;
  }
  return calls_->run<Expected<std::uint64_t>>(waiter, [this, name, process] {
    auto holder = cluster_->register_name(name, process);
    std::lock_guard guard(mutex_);
    --puts_in_flight_;
    if (holder && *holder == process) held_[process].insert(name);
    return holder;
  });
}

Expected<std::optional<std::uint64_t>> GlobalRegistry::get(runtime::Blocking& waiter,
                                                           const std::string& name) {
  if (cluster_ == nullptr) {
    std::lock_guard guard(mutex_);
    const auto found = local_.find(name);
    if (found == local_.end()) return std::optional<std::uint64_t>();
    return std::optional<std::uint64_t>(found->second);
  }
  return calls_->run<Expected<std::optional<std::uint64_t>>>(
      waiter, [this, name] { return cluster_->whereis(name); });
}

Expected<bool> GlobalRegistry::remove(runtime::Blocking& waiter, const std::string& name,
                                      std::uint64_t process) {
  if (cluster_ == nullptr) {
    std::lock_guard guard(mutex_);
    const auto found = local_.find(name);
    if (found == local_.end() || found->second != process) return false;
    local_.erase(found);
    forget_held(name, process);
    return true;
  }
  return calls_->run<Expected<bool>>(waiter, [this, name, process] {
    auto removed = cluster_->unregister_name(name, process);
    std::lock_guard guard(mutex_);
    forget_held(name, process);
    return removed;
  });
}

std::unordered_map<std::uint64_t, std::set<std::string>> GlobalRegistry::held_names() {
  if (!used_.load()) return {};
  std::lock_guard guard(mutex_);
  return held_;
}

void GlobalRegistry::process_ended(std::uint64_t process) {
  if (!used_.load(std::memory_order_relaxed)) return;
  std::lock_guard guard(mutex_);
  const auto found = held_.find(process);
  if (cluster_ == nullptr) {
    if (found == held_.end()) return;
    for (const std::string& name : found->second) local_.erase(name);
    held_.erase(found);
    return;
  }
  // A put still on its way is recorded before this runs (one thread, in order).
  if (found == held_.end() && puts_in_flight_ == 0) return;
  calls_->post([this, process] {
    std::set<std::string> names;
    {
      std::lock_guard guard(mutex_);
      const auto found = held_.find(process);
      if (found == held_.end()) return;
      names = std::move(found->second);
      held_.erase(found);
    }
    // A store that cannot be reached now loses them with this node's lease instead.
    for (const std::string& name : names) (void)cluster_->unregister_name(name, process);
  });
}

void GlobalRegistry::forget_held(const std::string& name, std::uint64_t process) {
  const auto found = held_.find(process);
  if (found == held_.end()) return;
  found->second.erase(name);
  if (found->second.empty()) held_.erase(found);
}

}  // namespace lunatic::host
