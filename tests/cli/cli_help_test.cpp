// CLI tests. `lunatic --help`, `run --help`, `compile --help` and a run without a module.
#include "support/cli_support.hpp"

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

TEST_F(Help, RunWithoutAModuleFailsWithoutCrashing) {
  auto r = lunatic({"run"});
  EXPECT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.signal, 0) << describe(r);
  EXPECT_NE(r.exit_code, 0) << describe(r);
}

}  // namespace
