// Limits on live processes, guest memory and compiles, for the runtime and for subtrees.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "common/resource_budget.hpp"

namespace lunatic {
namespace {

TEST(ResourceBudget, ANestedBudgetRefusesPastItsOwnLimitAndCountsInItsParent) {
  auto root = ResourceBudget::root({.max_processes = 100}, "the runtime");
  auto child = ResourceBudget::nested(root, {.max_processes = 3}, "its config").value();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(child->add_process(Privilege::kNormal));
  auto refused = child->add_process(Privilege::kNormal);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, Errc::kLimitReached);
  EXPECT_NE(refused.error().message.find("its config's limit of 3 live processes"),
            std::string::npos)
      << refused.error().message;
  EXPECT_EQ(child->processes(), 3u);
  EXPECT_EQ(root->processes(), 3u) << "a refused charge counts nowhere";
  child->remove_process();
  EXPECT_TRUE(child->add_process(Privilege::kNormal));
  EXPECT_EQ(root->processes(), 3u);
}

TEST(ResourceBudget, AParentsLimitHoldsForAChildWithALargerOne) {
  auto root = ResourceBudget::root({.max_memory_bytes = 1000}, "the runtime");
  auto child = ResourceBudget::nested(root, {.max_memory_bytes = 1'000'000}, "its config").value();
  // The root keeps a sixteenth (63 bytes) for supervisors and the main process.
  EXPECT_TRUE(child->charge_memory(900, Privilege::kNormal));
  auto refused = child->charge_memory(100, Privilege::kNormal);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("the runtime's limit of 1000 B of guest memory"),
            std::string::npos)
      << refused.error().message;
  EXPECT_EQ(child->memory_bytes(), 900u) << "the child's own charge is rolled back";
  child->release_memory(900);
  EXPECT_EQ(root->memory_bytes(), 0u);
}

TEST(ResourceBudget, TheRootsReserveIsForSupervisorsInPartAndForTheMainProcessWhole) {
  auto root = ResourceBudget::root({.max_processes = 64}, "the runtime");  // reserve: 4
  int normal = 0, supervisor = 0, main = 0;
  while (root->add_process(Privilege::kNormal)) ++normal;
  while (root->add_process(Privilege::kSupervisor)) ++supervisor;
  while (root->add_process(Privilege::kRoot)) ++main;
  EXPECT_EQ(normal, 60);
  EXPECT_EQ(supervisor, 2);
  EXPECT_EQ(main, 2);
  auto refused = root->add_process(Privilege::kNormal);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("the last 4 processes are kept"), std::string::npos)
      << refused.error().message;
}

TEST(ResourceBudget, ANestedBudgetKeepsNoReserve) {
  auto root = ResourceBudget::root({}, "the runtime");
  auto child = ResourceBudget::nested(root, {.max_processes = 16}, "its config").value();
  int added = 0;
  while (child->add_process(Privilege::kNormal)) ++added;
  EXPECT_EQ(added, 16);
}

TEST(ResourceBudget, CompilesAreCountedOverTheBudgetsLifeAndZeroMeansNoLimit) {
  auto root = ResourceBudget::root({}, "the runtime");
  auto child = ResourceBudget::nested(root, {.max_compiles = 2}, "its config").value();
  EXPECT_TRUE(child->count_compile());
  EXPECT_TRUE(child->count_compile());
  EXPECT_FALSE(child->count_compile());
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(root->count_compile());
  EXPECT_EQ(root->compiles(), 1002u);
}

TEST(ResourceBudget, NestingIsBoundedSoAChargeCostsBoundedWork) {
  auto budget = ResourceBudget::root({}, "the runtime");
  for (int depth = 1; depth <= ResourceBudget::kMaxDepth; ++depth) {
    budget = ResourceBudget::nested(budget, {.max_processes = 5}, "its config").value();
  }
  auto too_deep = ResourceBudget::nested(budget, {.max_processes = 5}, "its config");
  ASSERT_FALSE(too_deep);
  EXPECT_EQ(too_deep.error().code, Errc::kLimitReached);
}

TEST(ResourceBudget, ConcurrentChargesNeverPassTheLimit) {
  auto root = ResourceBudget::root({.max_processes = 1600}, "the runtime");  // 1500 for normal
  std::vector<std::thread> threads;
  std::atomic<int> granted{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        if (root->add_process(Privilege::kNormal)) granted.fetch_add(1);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(granted.load(), 1500);
  EXPECT_EQ(root->processes(), 1500u);
}

}  // namespace
}  // namespace lunatic
