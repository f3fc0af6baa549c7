// CLI tests. lunatic::process::spawn through proc_spawn.wasm: parameters, many children, link
// tags, and spawns whose function cannot run (Lunatic 0.13 semantics).
#include "support/cli_support.hpp"

#include <string>

namespace {

using namespace cli_test;

class Spawn : public ProcessTest {};

TEST_F(Spawn, ParametersArriveAsGivenInAFreshInstance) {
  auto r = run_guest("proc_spawn", {"params"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "sent -5 1099511627776 7, got -5 1099511627776 7\n"
            "the child's g_value: 0\n"
            "sent -2147483648 -9223372036854775808 2147483647, got -2147483648 "
            "-9223372036854775808 2147483647\n"
            "the child's g_value: 0\n"
            "sent 0 -1234567890123 -1, got 0 -1234567890123 -1\n"
            "the child's g_value: 0\n")
      << describe(r);
}

TEST_F(Spawn, AThousandChildrenSpawnedInARowAllRun) {
  auto r = run_guest("proc_spawn", {"many"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "spawn failures: 0\nchildren heard from: 1000 of 1000, duplicates 0\n")
      << describe(r);
}

TEST_F(Spawn, ANegativeLinkTagComesBackAsGiven) {
  auto r = run_guest("proc_spawn", {"negative_tag"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "received: link-died tag=-3\n") << describe(r);
}

TEST_F(Spawn, GetOrSpawnSpawnsOnceForANameAndThenFindsThatProcess) {
  auto r = run_guest("proc_spawn", {"get_or_spawn"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "first get_or_spawn: 0, node 0\n"
            "second get_or_spawn: 2, node 0, same process: yes\n"
            "another name: 0, a new process: yes\n"
            "hellos: 2, from indexes summing to 4\n")
      << describe(r);
}

// In Lunatic the function is looked up when the child starts: spawn returns 0 and the child
// fails (SpawnError "Function '...' not found"), which a link reports.
TEST_F(Spawn, AnUnknownFunctionFailsTheChildNotTheSpawn) {
  auto r = run_guest("proc_spawn", {"bad_function"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "unknown function: spawn returned 0\n"
            "unknown function: link-died tag=51\n"
            "main continues\n")
      << describe(r);
  EXPECT_TRUE(contains(r.err, "no_such_function_here")) << describe(r);
}

// Likewise parameters that do not fit the function: wasmtime's call fails in the child.
TEST_F(Spawn, ParametersThatDoNotFitTheFunctionFailTheChildNotTheSpawn) {
  auto r = run_guest("proc_spawn", {"bad_signature"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "wrong parameters: spawn returned 0\n"
            "wrong parameters: link-died tag=51\n"
            "main continues\n")
      << describe(r);
}

}  // namespace
