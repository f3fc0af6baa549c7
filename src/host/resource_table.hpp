// A process's resources of one kind (configs, modules, errors) by id, as Lunatic numbers them:
// ids count up from 0 and are never reused within the process.
#pragma once

#include <cstdint>
#include <optional>
#include <unordered_map>
#include <utility>

namespace lunatic::host {

template <class T>
class ResourceTable {
 public:
  std::uint64_t add(T value) {
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

 private:
  std::uint64_t next_id_ = 0;
  std::unordered_map<std::uint64_t, T> items_;
};

}  // namespace lunatic::host
