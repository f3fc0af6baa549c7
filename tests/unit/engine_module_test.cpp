// Auto memory mode: a module loaded with both variants gives new instances the guard variant
// until a threshold of live guard-mode memories, then the bounds variant, which behaves the same.
#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <vector>

#include "engine/engine.hpp"
#include "engine/execution/instance.hpp"
#include "engine/memory/linear_memory.hpp"
#include "host/host_context.hpp"
#include "host/host_imports.hpp"
#include "shared/temp_dir.hpp"
#include "support/guest.hpp"
#include "support/wat.hpp"

namespace lunatic::engine {
namespace {

constexpr std::string_view kStoreLoadModule = R"((module
  (memory 1)
  (func (export "store") (param i32 i32) (i32.store (local.get 0) (local.get 1)))
  (func (export "load") (param i32) (result i32) (i32.load (local.get 0))))
)";

// Instances created from whatever variant the module picks, driven on this thread.
class Instances {
 public:
  explicit Instances(std::shared_ptr<const Module> module) : module_(std::move(module)) {}

  Instance& add() {
    auto instance =
        Instance::create(module_->variant_for_new_instance(), &context_, &execution_, {});
    EXPECT_TRUE(instance.has_value());
    EXPECT_TRUE((*instance)->instantiate().ok());
    instances_.push_back(std::move(*instance));
    return *instances_.back();
  }

  CallOutcome call(Instance& instance, const char* name, std::vector<std::uint64_t> args,
                   std::uint64_t* result = nullptr) {
    std::uint64_t results[1] = {};
    CallOutcome outcome = instance.call(*instance.module().find_export(name), args, results);
    if (result != nullptr) *result = results[0];
    return outcome;
  }

  bool last_call_used_guard_memory() const { return execution_.guard_memory; }
  void clear() { instances_.clear(); }

 private:
  std::shared_ptr<const Module> module_;
  host::HostContext context_;
  ExecutionState execution_;
  std::vector<std::unique_ptr<Instance>> instances_;
};

std::shared_ptr<const Module> load_auto(std::uint64_t guard_threshold) {
  EngineOptions options;
  options.memory_mode = MemoryMode::kAuto;
  options.guard_threshold = guard_threshold;
  auto module = testing::try_load_module(kStoreLoadModule, options);
  if (!module) throw std::runtime_error(module.error().message);
  return *module;
}

TEST(AutoMode, InstancesBeyondTheThresholdUseTheBoundsVariantAndBehaveTheSame) {
  // Guard memories of other tests are gone by now; count from whatever is live.
  const std::uint64_t threshold = live_guard_reservations() + 4;
  auto module = load_auto(threshold);
  ASSERT_EQ(module->mode(), MemoryMode::kAuto);
  ASSERT_NE(module->variant(MemoryMode::kGuard), nullptr);
  ASSERT_NE(module->variant(MemoryMode::kBounds), nullptr);

  Instances instances(module);
  for (int i = 0; i < 10; ++i) {
    Instance& instance = instances.add();
    const MemoryMode expected = i < 4 ? MemoryMode::kGuard : MemoryMode::kBounds;
    EXPECT_EQ(instance.memory_mode(), expected) << "instance " << i;
    ASSERT_TRUE(instances.call(instance, "store", {65532, 1000u + i}).ok());
    EXPECT_EQ(instances.last_call_used_guard_memory(), expected == MemoryMode::kGuard);
    std::uint64_t value = 0;
    ASSERT_TRUE(instances.call(instance, "load", {65532}, &value).ok());
    EXPECT_EQ(value, 1000u + i);
    EXPECT_EQ(instances.call(instance, "load", {65533}).kind, TrapKind::kOutOfBounds);
    EXPECT_EQ(instances.call(instance, "load", {0x7ffffff0}).kind, TrapKind::kOutOfBounds);
  }
  EXPECT_EQ(live_guard_reservations(), threshold);

  // Once the guard memories are gone, new instances get the faster variant again.
  instances.clear();
  EXPECT_EQ(instances.add().memory_mode(), MemoryMode::kGuard);
}

TEST(AutoMode, ASingleModeModuleAlwaysGivesItsOneVariant) {
  EngineOptions options;
  options.memory_mode = MemoryMode::kGuard;
  options.guard_threshold = 0;  // would pick bounds if there were a choice
  auto module = testing::try_load_module(kStoreLoadModule, options);
  ASSERT_TRUE(module.has_value()) << module.error().message;
  EXPECT_EQ((*module)->mode(), MemoryMode::kGuard);
  EXPECT_EQ((*module)->variant(MemoryMode::kBounds), nullptr);
  EXPECT_EQ((*module)->variant_for_new_instance(), (*module)->variant(MemoryMode::kGuard));
  ASSERT_NE((*module)->description().find_export("load"), nullptr);
  EXPECT_EQ((*module)->description().find_export("load")->signature, "(i32) -> (i32)");
}

TEST(AutoMode, AColdLoadCompilesAndCachesBothVariants) {
  const testing::TempDir cache("lunatic-auto");
  EngineOptions options;
  options.memory_mode = MemoryMode::kAuto;
  options.cache_root = cache.path();
  options.show_progress = false;
  Engine engine(options, host::host_imports());
  const std::string wasm = testing::wat_to_wasm(kStoreLoadModule);

  LoadReport cold;
  auto first = engine.load_wasm(wasm, "test.wasm", &cold);
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(cold.cache, "miss");
  EXPECT_GT(cold.compile_ms, 0.0);
  std::size_t artifacts = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(cache.path())) {
    artifacts += entry.path().extension() == ".lart";
  }
  EXPECT_EQ(artifacts, 2u);

  LoadReport warm;
  auto second = engine.load_wasm(wasm, "test.wasm", &warm);
  ASSERT_TRUE(second.has_value()) << second.error().message;
  EXPECT_EQ(warm.cache, "hit");
  EXPECT_EQ((*second)->mode(), MemoryMode::kAuto);
  EXPECT_EQ((*second)->variant(MemoryMode::kBounds)->contract().memory_mode, MemoryMode::kBounds);
}

}  // namespace
}  // namespace lunatic::engine
