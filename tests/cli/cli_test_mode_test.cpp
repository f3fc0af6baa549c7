// CLI tests. `lunatic test` (Lunatic's test mode) through test_mode.wasm, whose exports are named
// as lunatic-rs's #[lunatic::test] names them: results, captured output, filters, --ignored,
// --list, --show-output, --nocapture, exit codes, and how Cargo's runner call selects it.
#include "support/cli_support.hpp"

#include <string>

namespace {

using namespace cli_test;

const std::string kOk = "\x1b[92mok\x1b[0m";
const std::string kFailed = "\x1b[91mFAILED\x1b[0m";
const std::string kIgnored = "\x1b[93mignored\x1b[0m";

class TestMode : public ProcessTest {
 protected:
  RunResult test(std::vector<std::string> args, RunOptions opt = {}) {
    args.insert(args.begin(), {"test", guest("test_mode")});
    return lunatic(std::move(args), opt);
  }
  // The summary line without its timing.
  static std::string summary(const RunResult& r) {
    auto line = line_containing(r.out, "test result: ");
    if (!line) return "";
    return line->substr(0, line->find("; finished in"));
  }
  // A copy of test_mode.wasm where Cargo puts test binaries, under this test's directory.
  std::string cargo_test_binary() {
    fs::path deps = dir_ / "project" / "target" / "wasm32-wasi" / "debug" / "deps";
    fs::create_directories(deps);
    fs::copy_file(guest("test_mode"), deps / "mycrate-0123abcd.wasm",
                  fs::copy_options::overwrite_existing);
    return (deps / "mycrate-0123abcd.wasm").string();
  }
};

TEST_F(TestMode, RunsEveryTestInItsOwnProcessAndReportsLikeLibtest) {
  auto r = test({});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_EQ(r.out.rfind("\nrunning 17 tests\n", 0), 0u) << describe(r);
  for (const auto& line :
       {"test passes ... " + kOk, "test fails_with_a_panic ... " + kFailed,
        "test fails_with_a_trap ... " + kFailed, "test fails_with_exit_code ... " + kFailed,
        "test passes_with_proc_exit_zero ... " + kOk, "test slow ... " + kIgnored,
        "test ignored_and_panics ... " + kIgnored, "test hangs ... " + kIgnored,
        "test should_panic_any - should panic ... " + kOk,
        "test should_panic_with_boom - should panic ... " + kOk,
        "test should_panic_with_hash - should panic ... " + kOk,
        "test should_panic_but_other_message - should panic ... " + kFailed,
        "test should_panic_but_returns - should panic ... " + kFailed,
        "test should_panic_trap_counts - should panic ... " + kOk, "test spawns_a_child ... " + kOk,
        "test registry_is_per_test_a ... " + kOk, "test registry_is_per_test_b ... " + kOk}) {
    EXPECT_TRUE(has_line(r.out, line)) << line << describe(r);
  }
  EXPECT_EQ(summary(r), "test result: " + kFailed +
                            ". 9 passed; 5 failed; 3 ignored; 0 measured; 0 filtered out")
      << describe(r);
  EXPECT_FALSE(contains(r.out, "lunatic_test_not_quite")) << describe(r);
  EXPECT_FALSE(contains(r.out, "main is not run")) << describe(r);
}

TEST_F(TestMode, AFailuresOutputIsShownAndAPassingTestsIsNot) {
  auto r = test({});
  EXPECT_TRUE(contains(r.out,
                       "---- fails_with_a_panic stdout ----\n"
                       "output of fails_with_a_panic\n"
                       "thread 'main' panicked at 'assertion failed: 1 == 2', src/lib.rs:7:5\n"))
      << describe(r);
  EXPECT_TRUE(contains(
      r.out, "---- fails_with_a_trap stdout ----\nnote: Process trapped or received kill signal\n"))
      << describe(r);
  EXPECT_TRUE(contains(r.out,
                       "note: panic did not contain expected string\n"
                       "      panic message: `\"fizzle\"`,\n"
                       " expected substring: `\"boom\"`\n"))
      << describe(r);
  EXPECT_TRUE(contains(
      r.out, "---- should_panic_but_returns stdout ----\nnote: test did not panic as expected\n"))
      << describe(r);
  EXPECT_TRUE(contains(r.out, "failures:\n    fails_with_a_panic\n    fails_with_a_trap\n"))
      << describe(r);
  EXPECT_FALSE(contains(r.out, "output of passes")) << describe(r);
  EXPECT_FALSE(contains(r.out, "output of a child")) << describe(r);
  EXPECT_FALSE(contains(r.err, "output of")) << describe(r);
}

TEST_F(TestMode, AFilterSelectsBySubstringOrExactlyAndAllPassingExitsZero) {
  auto r = test({"passes"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(r.out, "\nrunning 2 tests\n")) << describe(r);
  EXPECT_EQ(summary(r),
            "test result: " + kOk + ". 2 passed; 0 failed; 0 ignored; 0 measured; 15 filtered out");
  auto exact = test({"passes", "--exact"});
  EXPECT_EXIT_CODE(exact, 0);
  EXPECT_TRUE(contains(exact.out, "\nrunning 1 test\n")) << describe(exact);
  EXPECT_EQ(summary(exact),
            "test result: " + kOk + ". 1 passed; 0 failed; 0 ignored; 0 measured; 16 filtered out");
}

TEST_F(TestMode, IgnoredRunsOnlyTheIgnoredTests) {
  auto r = test({"--ignored", "slow"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(has_line(r.out, "test slow ... " + kOk)) << describe(r);
  EXPECT_EQ(summary(r),
            "test result: " + kOk + ". 1 passed; 0 failed; 0 ignored; 0 measured; 16 filtered out");
  auto should_panic = test({"--ignored", "ignored_and_panics"});
  EXPECT_EXIT_CODE(should_panic, 0);
  EXPECT_TRUE(has_line(should_panic.out, "test ignored_and_panics - should panic ... " + kOk))
      << describe(should_panic);
}

TEST_F(TestMode, ATestThatNeverEndsFailsInsteadOfHanging) {
  auto r = test({"--ignored", "hangs"});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_TRUE(has_line(r.out, "test hangs ... " + kFailed)) << describe(r);
  EXPECT_TRUE(contains(r.out, "note: the test never ended")) << describe(r);
}

TEST_F(TestMode, ListPrintsTheSelectedTestsTersely) {
  auto r = test({"should_panic_with", "--list", "--format", "terse"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "should_panic_with_boom: test\nshould_panic_with_hash: test\n") << describe(r);
  auto bad = test({"--list", "--format", "pretty"});
  EXPECT_EXIT_CODE(bad, 1);
  EXPECT_TRUE(contains(bad.err, "--format must be terse")) << describe(bad);
}

TEST_F(TestMode, ShowOutputPrintsWhatPassingTestsAndTheirChildrenWrote) {
  auto r = test({"--show-output", "spawns_a_child"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(
      contains(r.out,
               "\nsuccesses:\n\n---- spawns_a_child stdout ----\n"
               "output of a child\noutput of spawns_a_child\n\nsuccesses:\n    spawns_a_child\n"))
      << describe(r);
}

TEST_F(TestMode, NocaptureLetsTestsWriteToTheTerminal) {
  auto r = test({"--nocapture", "passes", "--exact"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(has_line(r.out, "output of passes")) << describe(r);
  EXPECT_FALSE(contains(r.out, "---- passes stdout ----")) << describe(r);
}

TEST_F(TestMode, AModuleWithoutTestsRunsNone) {
  auto r = lunatic({"test", guest("hello")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out.rfind("\nrunning 0 tests\n", 0), 0u) << describe(r);
  EXPECT_TRUE(contains(r.out, "0 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out"))
      << describe(r);
}

TEST_F(TestMode, AMissingOrMalformedModuleIsRefused) {
  auto missing = lunatic({"test", (dir_ / "nope.wasm").string()});
  expect_refusal(missing);
  write_file(dir_ / "bad.wasm", "not wasm at all");
  expect_refusal(lunatic({"test", (dir_ / "bad.wasm").string()}));
}

TEST_F(TestMode, CargosRunnerCallChoosesTestModeAsLunaticDoes) {
  const std::string binary = cargo_test_binary();
  RunOptions cargo;
  cargo.env["CARGO_MANIFEST_DIR"] = (dir_ / "project").string();
  auto r = lunatic({binary, "passes", "--exact"}, cargo);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(has_line(r.out, "test passes ... " + kOk)) << describe(r);
  auto with_run = lunatic({"run", binary, "--list", "--format", "terse"}, cargo);
  EXPECT_EXIT_CODE(with_run, 0);
  EXPECT_TRUE(has_line(with_run.out, "passes: test")) << describe(with_run);
  // Without Cargo's variable, or for a benchmark, it is an ordinary run of _start.
  auto plain = lunatic({binary});
  EXPECT_EXIT_CODE(plain, 0);
  EXPECT_EQ(plain.out, "main is not run in test mode\n") << describe(plain);
  auto bench = lunatic({binary, "--bench"}, cargo);
  EXPECT_EXIT_CODE(bench, 0);
  EXPECT_EQ(bench.out, "main is not run in test mode\n") << describe(bench);
}

}  // namespace
