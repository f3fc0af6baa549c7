#include "runtime/process_table.hpp"

#include <algorithm>
#include <mutex>
#include <vector>

#include "runtime/process.hpp"

namespace lunatic::runtime {

void ProcessTable::insert(std::uint64_t id, std::shared_ptr<Process> process) {
  Shard& s = shard(id);
  std::lock_guard lock(s.mutex);
  s.processes.emplace(id, std::move(process));
  size_.fetch_add(1, std::memory_order_relaxed);
}

std::shared_ptr<Process> ProcessTable::find(std::uint64_t id) const {
  const Shard& s = shard(id);
  std::lock_guard lock(s.mutex);
  auto it = s.processes.find(id);
  return it == s.processes.end() ? nullptr : it->second;
}

std::shared_ptr<Process> ProcessTable::remove(std::uint64_t id) {
  Shard& s = shard(id);
  std::lock_guard lock(s.mutex);
  auto it = s.processes.find(id);
  if (it == s.processes.end()) return nullptr;
  std::shared_ptr<Process> process = std::move(it->second);
  s.processes.erase(it);
  size_.fetch_sub(1, std::memory_order_relaxed);
  return process;
}

std::vector<std::shared_ptr<Process>> ProcessTable::collect(std::size_t limit) const {
  std::vector<std::shared_ptr<Process>> out;
  out.reserve(std::min(limit, size()));
  for (const Shard& s : shards_) {
    std::lock_guard lock(s.mutex);
    for (const auto& [id, process] : s.processes) {
      if (out.size() == limit) return out;
      out.push_back(process);
    }
  }
  return out;
}

void ProcessTable::clear() {
  for (Shard& s : shards_) {
    std::vector<std::shared_ptr<Process>> doomed;
    {
      std::lock_guard lock(s.mutex);
      for (auto& [id, process] : s.processes) doomed.push_back(std::move(process));
      size_.fetch_sub(s.processes.size(), std::memory_order_relaxed);
      s.processes.clear();
    }
  }
}

}  // namespace lunatic::runtime
