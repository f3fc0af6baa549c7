// CLI tests. lunatic::process::compile_module and drop_module through proc_compile.wasm, which
// loads compile_me.wasm (from tests/guests/compile_me.wat) at run time and spawns from it.
#include "support/cli_support.hpp"

#include <string>

namespace {

using namespace cli_test;

class CompileModule : public ProcessTest {
 protected:
  RunResult run() {
    return run_guest("proc_compile", {guest("compile_me"), guest("compile_me_missing_import")},
                     {"--dir", GUESTS_DIR});
  }
};

TEST_F(CompileModule, AProcessCanBeSpawnedFromACompiledModule) {
  auto r = run();
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(
      r, {"compile_module: 0", "spawn hello from it: 0", "from hello: data tag=99 size=0",
          "spawn hello from it with a new config: 0", "from hello: data tag=99 size=0"});
}

TEST_F(CompileModule, ATrapInAProcessOfACompiledModuleReachesItsLink) {
  auto r = run();
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"spawn boom from it, linked: 0", "boom: link-died tag=21"});
}

TEST_F(CompileModule, EachCompileGivesANewIdAndDroppingOneLeavesTheOther) {
  auto r = run();
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(
      r, {"compile the same bytes again: 0", "the two module ids differ: yes",
          "spawn from the first after dropping the second: 0", "from hello: data tag=99 size=0"});
}

TEST_F(CompileModule, BytesThatAreNotAValidModuleGiveAnErrorWithText) {
  auto r = run();
  EXPECT_EXIT_CODE(r, 0);
  for (std::string what : {"compile junk", "compile nothing", "compile half a module"}) {
    expect_lines_in_order(r, {what + ": 1", what + " error has a text: yes"});
  }
}

TEST_F(CompileModule, AModuleWithAnImportTheHostLacksGivesAnErrorNamingIt) {
  auto r = run();
  EXPECT_EXIT_CODE(r, 0);
  std::string what = "compile a module with an import the host lacks";
  expect_lines_in_order(r, {what + ": 1", what + " error has a text: yes"});
  EXPECT_TRUE(contains(r.out, "not_provided_by_the_host")) << describe(r);
}

TEST_F(CompileModule, WithoutPermissionCompileModuleReturnsMinusOne) {
  auto r = run();
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"child without permission compile_module: -1",
                            "child without permission: process-died child"});
}

// Module ids are resources of the process that compiled the module, as in Lunatic.
TEST_F(CompileModule, AModuleIdMeansNothingInAnotherProcess) {
  auto r = run();
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(has_line(r.out, "child using main's module id: link-died tag=23")) << describe(r);
  EXPECT_FALSE(contains(r.out, "spawn from another process's module id returned")) << describe(r);
  EXPECT_TRUE(has_line(r.out, "main continues")) << describe(r);
}

}  // namespace
