// CPU time by sampling: what a worker runs at each look is charged the time since the last
// one; nothing is charged to "no process"; the times of dead processes are dropped.
#include "runtime/cpu_sampler.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace lunatic::runtime {
namespace {

using namespace std::chrono_literals;

TEST(CpuSampler, ChargesEachWorkersProcessTheTimeItRanAndNothingToIdleWorkers) {
  std::atomic<std::uint64_t> first_worker{7};
  std::atomic<bool> seven_alive{true};
  const auto started = std::chrono::steady_clock::now();
  std::chrono::steady_clock::duration lived{};
  std::uint64_t charged = 0;
  std::uint64_t idle_charged = 0;
  {
    CpuSampler sampler(
        1ms,
        [&](std::vector<std::uint64_t>& running) {
          running = {first_worker.load(), 0};  // the second worker runs nothing
        },
        [&](std::uint64_t id) { return id != 7 || seven_alive.load(); });
    std::this_thread::sleep_for(200ms);
    charged = sampler.cpu_ns(7);
    lived = std::chrono::steady_clock::now() - started;
    idle_charged = sampler.cpu_ns(0);
    EXPECT_EQ(sampler.cpu_ns(8), 0u) << "a process that never ran";
  }
  // All of its time but the last look's period, and never more than it lived.
  EXPECT_GE(charged, std::uint64_t{150'000'000}) << charged;
  EXPECT_LE(charged, static_cast<std::uint64_t>(std::chrono::nanoseconds(lived).count()));
  EXPECT_EQ(idle_charged, 0u);
}

TEST(CpuSampler, TheTimeMovesWithTheProcessAWorkerRuns) {
  std::atomic<std::uint64_t> running{1};
  CpuSampler sampler(
      1ms, [&](std::vector<std::uint64_t>& out) { out = {running.load()}; },
      [](std::uint64_t) { return true; });
  std::this_thread::sleep_for(100ms);
  running = 2;
  const std::uint64_t first_then = sampler.cpu_ns(1);
  std::this_thread::sleep_for(100ms);
  EXPECT_GT(sampler.cpu_ns(2), 50'000'000u);
  // At most the look in flight when it switched is charged to the first after it.
  EXPECT_LE(sampler.cpu_ns(1) - first_then, 20'000'000u);
}

TEST(CpuSampler, TheTimesOfDeadProcessesAreDropped) {
  std::atomic<bool> alive{true};
  std::atomic<std::uint64_t> running{5};
  CpuSampler sampler(
      100us, [&](std::vector<std::uint64_t>& out) { out = {running.load()}; },
      [&](std::uint64_t) { return alive.load(); });
  std::this_thread::sleep_for(20ms);
  ASSERT_GT(sampler.cpu_ns(5), 0u);
  running = 0;
  alive = false;
  // Swept every 128 looks: 12.8 ms at this period.
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (sampler.cpu_ns(5) != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(5ms);
  }
  EXPECT_EQ(sampler.cpu_ns(5), 0u);
}

}  // namespace
}  // namespace lunatic::runtime
