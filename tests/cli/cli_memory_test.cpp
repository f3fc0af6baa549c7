// CLI tests. Linear memory: growth up to the maximum, large allocations, and the same behaviour in
// every memory mode.
#include "support/cli_support.hpp"

#include <string>
#include <vector>

namespace {

using namespace cli_test;

class Memory : public CliTest {};
class MemoryModes : public CliTest {};

TEST_F(Memory, GrowsUpToTheDeclaredMaximumAndNoFurther) {
  auto r = lunatic({"run", guest("memory_grow")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "size=16 pages\n"
            "last byte=ok\n"
            "grow past max=-1\n"
            "grow by 65536 pages=-1\n"
            "size after=16 pages\n"
            "grew at least once\n")
      << describe(r);
}

TEST_F(Memory, MallocOfOneGibibyteInChunksWorks) {
  auto r = lunatic({"run", guest("malloc_big")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "allocated 1024 MiB, memory is over 16384 pages\n") << describe(r);
}

// Linear memory comes in modes (`run --memory-mode`: guard pages, explicit bounds checks, or
// either as the runtime chooses), and memory behaviour must not depend on the mode.
const std::vector<std::string> kMemoryModes = {"guard", "bounds", "auto"};

TEST_F(MemoryModes, OutOfBoundsLoadTrapsInEveryMode) {
  for (const auto& mode : kMemoryModes) {
    SCOPED_TRACE("--memory-mode " + mode);
    expect_trap(lunatic({"run", "--memory-mode", mode, guest("trap_oob")}),
                "out of bounds memory access");
  }
}

TEST_F(MemoryModes, GrowingToTheMaximumWorksInEveryMode) {
  for (const auto& mode : kMemoryModes) {
    SCOPED_TRACE("--memory-mode " + mode);
    auto r = lunatic({"run", "--memory-mode", mode, guest("memory_grow")});
    EXPECT_EXIT_CODE(r, 0);
    EXPECT_TRUE(contains(r.out, "size=16 pages\nlast byte=ok\ngrow past max=-1\n")) << describe(r);
  }
}

TEST_F(MemoryModes, MallocOfOneGibibyteWorksInEveryMode) {
  for (const auto& mode : kMemoryModes) {
    SCOPED_TRACE("--memory-mode " + mode);
    auto r = lunatic({"run", "--memory-mode", mode, guest("malloc_big")});
    EXPECT_EXIT_CODE(r, 0);
    EXPECT_EQ(r.out, "allocated 1024 MiB, memory is over 16384 pages\n") << describe(r);
  }
}

TEST_F(MemoryModes, StackExhaustionTrapsInEveryMode) {
  for (const auto& mode : kMemoryModes) {
    SCOPED_TRACE("--memory-mode " + mode);
    expect_trap(lunatic({"run", "--memory-mode", mode, guest("trap_stack")}),
                "call stack exhausted");
  }
}

}  // namespace
