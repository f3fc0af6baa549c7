#include "runtime/cpu_sampler.hpp"

#include <utility>

namespace lunatic::runtime {

namespace {
// Looks between two sweeps for the times of dead processes.
constexpr unsigned kLooksPerSweep = 128;
}  // namespace

CpuSampler::CpuSampler(std::chrono::nanoseconds period, ReadRunning read_running, IsAlive is_alive)
    : period_(period), read_running_(std::move(read_running)), is_alive_(std::move(is_alive)) {
  thread_ = std::thread([this] { sample_until_stopped(); });
}

CpuSampler::~CpuSampler() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  stop_changed_.notify_all();
  thread_.join();
}

std::uint64_t CpuSampler::cpu_ns(std::uint64_t id) const {
  std::lock_guard lock(mutex_);
  const auto it = cpu_ns_.find(id);
  return it != cpu_ns_.end() ? it->second : 0;
}

void CpuSampler::sample_until_stopped() {
  std::vector<std::uint64_t> running;
  auto last_look = std::chrono::steady_clock::now();
  std::unique_lock lock(mutex_);
  for (unsigned looks = 1;; ++looks) {
    // The time since the last look, not the period: a late wake-up charges what really passed.
    if (stop_changed_.wait_for(lock, period_, [this] { return stopping_; })) return;
    const auto now = std::chrono::steady_clock::now();
    const auto elapsed =
        static_cast<std::uint64_t>(std::chrono::nanoseconds(now - last_look).count());
    last_look = now;
    read_running_(running);
    for (const std::uint64_t id : running) {
      if (id != 0) cpu_ns_[id] += elapsed;
    }
    if (looks % kLooksPerSweep == 0)
      std::erase_if(cpu_ns_, [this](const auto& entry) { return !is_alive_(entry.first); });
  }
}

}  // namespace lunatic::runtime
