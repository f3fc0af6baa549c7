// CLI tests. `lunatic --help`, `run --help`, `compile --help` and a run without a module.
#include "support/cli_support.hpp"

#include <string>

namespace {

using namespace cli_test;

class Help : public CliTest {};

TEST_F(Help, TopLevelHelpPrintsUsageAndExitsZero) {
  auto r = lunatic({"--help"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(lower(r.out), "usage")) << describe(r);
  EXPECT_TRUE(contains(r.out, "run")) << describe(r);
  EXPECT_TRUE(contains(r.out, "compile")) << describe(r);
}

TEST_F(Help, RunHelpPrintsUsageWithItsOptionsAndExitsZero) {
  auto r = lunatic({"run", "--help"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(lower(r.out), "usage")) << describe(r);
  EXPECT_TRUE(contains(r.out, "--dir")) << describe(r);
  EXPECT_TRUE(contains(r.out, "--env")) << describe(r);
  EXPECT_TRUE(contains(r.out, "--timings")) << describe(r);
}

TEST_F(Help, CompileHelpPrintsUsageAndExitsZero) {
  auto r = lunatic({"compile", "--help"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(lower(r.out), "usage")) << describe(r);
  EXPECT_TRUE(contains(r.out, "-o")) << describe(r);
}

bool printable(const std::string& text) {
  for (unsigned char c : text) {
    if (c < 0x20 && c != '\n' && c != '\t') return false;
  }
  return true;
}

TEST_F(Help, MemoryModesAreNamedInHelpAndInTheErrorForABadOne) {
  for (const char* command : {"run", "compile"}) {
    auto help = lunatic({command, "--help"});
    EXPECT_EXIT_CODE(help, 0);
    EXPECT_TRUE(contains(help.out, "--memory-mode MODE:{guard,bounds,auto}")) << describe(help);
    EXPECT_TRUE(printable(help.out)) << "control bytes in the help of " << command;
    auto bad = lunatic({command, "--memory-mode", "fast", guest("hello")});
    EXPECT_EXIT_CODE(bad, 105);  // CLI11's code for a value its check refuses
    EXPECT_TRUE(contains(bad.err, "--memory-mode: fast not in {guard,bounds,auto}"))
        << describe(bad);
    EXPECT_TRUE(printable(bad.err)) << "control bytes in the error of " << command;
  }
}

TEST_F(Help, MemoryModeNamesMayBeInAnyCase) {
  auto r = lunatic({"run", "--memory-mode", "Bounds", guest("hello")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
}

TEST_F(Help, RunWithoutAModuleFailsWithoutCrashing) {
  auto r = lunatic({"run"});
  EXPECT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.signal, 0) << describe(r);
  EXPECT_NE(r.exit_code, 0) << describe(r);
}

}  // namespace
