// Per-process CPU time by sampling, for the dashboard: a thread of its own looks, every period,
// at which process each worker runs and charges it the time since its last look. A switch
// costs the worker one relaxed store of the id it now runs (Scheduler::note_running), against
// two reads of the cycle counter for timing every slice: the dashboard's budget is a few
// percent of a message ring, and the cycle counter took 8%. The price is resolution: a
// process's time is exact on average, to within a period per look.
// Thread: any; the sampling runs on its own thread from construction to destruction.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace lunatic::runtime {

class CpuSampler {
 public:
  // Fills the vector with the id each worker runs now (0: none).
  using ReadRunning = std::function<void(std::vector<std::uint64_t>&)>;
  // Whether a process of this id still lives: the times of the dead are dropped now and then.
  using IsAlive = std::function<bool(std::uint64_t)>;

  CpuSampler(std::chrono::nanoseconds period, ReadRunning read_running, IsAlive is_alive);
  ~CpuSampler();  // stops and joins the sampling thread
  CpuSampler(const CpuSampler&) = delete;
  CpuSampler& operator=(const CpuSampler&) = delete;

  // The CPU time charged to process `id` so far, in nanoseconds.
  std::uint64_t cpu_ns(std::uint64_t id) const;

 private:
  void sample_until_stopped();

  const std::chrono::nanoseconds period_;
  const ReadRunning read_running_;
  const IsAlive is_alive_;
  mutable std::mutex mutex_;
  std::condition_variable stop_changed_;
  bool stopping_ = false;
  std::unordered_map<std::uint64_t, std::uint64_t> cpu_ns_;  // by process id
  std::thread thread_;
};

}  // namespace lunatic::runtime
