// A process's resources of one kind (configs, modules, errors) by id, as Lunatic numbers them:
// ids count up from 0 and are never reused within the process.
//
// A table holds at most kMaxItems: a guest that makes resources in a loop and never drops them
// would otherwise grow the runtime's memory without bound (Lunatic has no such limit; a
// program that needs a million live resources of one kind in one process is not plausible).
// Thread: the thread running the owning process.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "engine/execution/trap.hpp"

namespace lunatic::host {

template <class T>
class ResourceTable {
 public:
  static constexpr std::size_t kMaxItems = std::size_t{1} << 20;

  // `what` names the kind in the trap message ("config", "tcp stream").
  explicit ResourceTable(const char* what) : what_(what) {}

  // Traps (throws GuestTrap) when the table already holds kMaxItems.
  std::uint64_t add(T value) {
    if (items_.size() >= kMaxItems) [[unlikely]]
      throw engine::GuestTrap{engine::TrapKind::kHostError, "too many live " + std::string(what_) +
                                                                " resources in one process (" +
                                                                std::to_string(kMaxItems) +
                                                                "); drop some first"};
    const std::uint64_t id = next_id_++;
    items_.emplace(id, std::move(value));
    return id;
  }
  T* get(std::uint64_t id) {
    auto it = items_.find(id);
    return it == items_.end() ? nullptr : &it->second;
  }
  std::optional<T> remove(std::uint64_t id) {
    auto it = items_.find(id);
    if (it == items_.end()) return std::nullopt;
    T value = std::move(it->second);
    items_.erase(it);
    return value;
  }
  std::size_t size() const { return items_.size(); }
  // Empties the table, handing over every item (ids are still never reused).
  std::vector<T> take_all() {
    std::vector<T> all;
    all.reserve(items_.size());
    for (auto& [id, value] : items_) all.push_back(std::move(value));
    items_.clear();
    return all;
  }

 private:
  const char* what_;
  std::uint64_t next_id_ = 0;
  std::unordered_map<std::uint64_t, T> items_;
};

}  // namespace lunatic::host
