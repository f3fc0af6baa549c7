// Many live processes at once, each a wasm instance with a bounds-mode memory on its own fiber
// stack: the mappings they add and the memory each keeps resident.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <vector>

#include "engine/execution/instance.hpp"
#include "host/host_context.hpp"
#include "runtime/message.hpp"
#include "runtime/scheduler.hpp"
#include "support/guest.hpp"
#include "support/os_memory.hpp"

namespace lunatic::runtime {
namespace {

using lunatic::testing::mapping_count;
using lunatic::testing::resident_kib;

TEST(Scale, TenThousandIdleProcessesAddFewMappings) {
  constexpr int kProcesses = 10'000;
  auto module = testing::load(R"((module (memory 1)
    (func (export "touch") (i32.store (i32.const 0) (i32.const 1)))))",
                              engine::MemoryMode::kBounds);
  Scheduler scheduler;
  const std::size_t mappings_before = mapping_count();
  const std::uint64_t resident_before = resident_kib();
  std::size_t mappings_after = 0;
  std::uint64_t resident_after = 0;
  std::atomic<int> started = 0;
  std::mutex waiting_mutex;
  std::vector<Process*> waiting;
  for (int i = 0; i < kProcesses; ++i) {
    scheduler.spawn([&](Process& process) {
      host::HostContext context;
      context.blocking = &process;
      auto instance = engine::Instance::create(module, &context, &process.execution(), {});
      EXPECT_TRUE(instance.has_value());
      if (instance) {
        context.instance = instance->get();
        EXPECT_TRUE((*instance)->instantiate().ok());
        EXPECT_TRUE((*instance)->call(*module->find_export("touch"), {}, {}).ok());
      }
      if (++started < kProcesses) {
        // Idle, instance alive, until the last process has measured and wakes everyone.
        {
          std::lock_guard lock(waiting_mutex);
          waiting.push_back(&process);
        }
        EXPECT_NE(process.receive({}, Clock::now() + std::chrono::minutes(1), false), nullptr);
        return;
      }
      mappings_after = mapping_count();
      resident_after = resident_kib();
      std::lock_guard lock(waiting_mutex);
      for (Process* other : waiting) other->send(std::make_unique<Message>());
    });
  }
  scheduler.run();
  ASSERT_EQ(started, kProcesses);
  std::printf("%d idle processes: %zu -> %zu lines in /proc/self/maps, %.1f KiB resident each\n",
              kProcesses, mappings_before, mappings_after,
              static_cast<double>(resident_after - resident_before) / kProcesses);
  EXPECT_LT(mappings_after - mappings_before, 100u);
}

}  // namespace
}  // namespace lunatic::runtime
