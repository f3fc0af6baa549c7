// CLI tests. Process configurations through proc_config.wasm: a new config's defaults, setters
// and getters, permissions, max_memory, max_fuel, and the WASI view (args, environment, preopened
// directories) a config gives a child; the main process's own config (Lunatic 0.13 semantics).
#include "support/cli_support.hpp"

#include <string>
#include <vector>

namespace {

using namespace cli_test;

class ProcessConfig : public ProcessTest {};

TEST_F(ProcessConfig, ANewConfigDeniesEverythingWithFourGibibytesAndNoFuelLimit) {
  auto r = run_guest("proc_config", {"defaults"});
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {
                               "create_config: an id",
                               "new max_memory: 4294967295",
                               "new max_fuel: 0",
                               "new can_compile_modules: 0",
                               "new can_create_configs: 0",
                               "new can_spawn_processes: 0",
                           });
}

TEST_F(ProcessConfig, SettersAndGettersRoundTripAndConfigsAreIndependent) {
  auto r = run_guest("proc_config", {"defaults"});
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {
                               "max_memory after set 1048576: 1048576",
                               "max_memory after set 196609: 196609",
                               "max_memory after set 0: 0",
                               "max_memory after set 4294967296: 4294967296",
                               "max_fuel after set 123: 123",
                               "max_fuel after set 1: 1",
                               "max_fuel after set 0: 0",
                               "max_fuel after set 18446744073709551614: 18446744073709551614",
                           });
  // Any non-zero value allows.
  for (const char* flag : {"can_compile_modules", "can_create_configs", "can_spawn_processes"}) {
    for (auto [set, get] : {std::pair{"1", "1"}, {"7", "1"}, {"0", "0"}, {"2147483648", "1"}}) {
      EXPECT_TRUE(has_line(r.out, std::string(flag) + " after set " + set + ": " + get))
          << flag << " set " << set << describe(r);
    }
  }
  expect_lines_in_order(r, {"second config has another id: yes", "second config untouched: yes",
                            "dropped both: yes"});
}

TEST_F(ProcessConfig, TheMainProcessMayCreateConfigsCompileModulesAndSpawn) {
  auto r =
      run_guest("proc_config", {"main_permissions", guest("compile_me")}, {"--dir", GUESTS_DIR});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "main create_config: an id\nmain compile_module: 0\nmain spawn: 0\n")
      << describe(r);
}

TEST_F(ProcessConfig, AChildWithANewConfigGetsMinusOneForConfigsAndModulesAndTrapsOnSpawn) {
  auto r = run_guest("proc_config", {"permissions"});
  EXPECT_EXIT_CODE(r, 0);
  // The child's lines may come before or after main's "spawn ...: 0".
  EXPECT_TRUE(has_line(r.out, "spawn with a new config: 0")) << describe(r);
  expect_lines_in_order(r, {"spawn with a new config: 0", "denied child: link-died tag=31"});
  expect_lines_in_order(r, {
                               "denied child create_config: -1",
                               "denied child compile_module: -1",
                               "denied child spawns",
                               "denied child: link-died tag=31",
                           });
  EXPECT_FALSE(contains(r.out, "denied child spawn:")) << "spawn returned" << describe(r);
}

TEST_F(ProcessConfig, ConfigMinusOneGivesAChildItsParentsPermissions) {
  auto r = run_guest("proc_config", {"permissions"});
  EXPECT_EXIT_CODE(r, 0);
  // The spawner child may spawn but not create configs or compile; so may its own child, which
  // it spawned with config -1.
  expect_lines_in_order(r, {
                               "spawn with a spawn-only config: 0",
                               "spawner child done: data tag=301 size=0",
                               "grandchild done: data tag=302 size=0",
                               "then: timeout",
                           });
  for (const char* who : {"spawner child", "grandchild"}) {
    std::string w = who;
    EXPECT_TRUE(has_line(r.out, w + " create_config: -1")) << describe(r);
    EXPECT_TRUE(has_line(r.out, w + " compile_module: -1")) << describe(r);
    EXPECT_TRUE(has_line(r.out, w + " spawn: 0")) << describe(r);
  }
}

TEST_F(ProcessConfig, MaxMemoryMakesMemoryGrowFailPastItInTheChild) {
  auto r = run_guest("proc_config", {"memory"});
  EXPECT_EXIT_CODE(r, 0);
  for (const char* who : {"4 MiB child", "4 MiB + 100 B child"}) {
    std::string w = who;
    expect_lines_in_order(r, {w + " grow to 64 pages: ok", w + " grow to 65 pages: -1",
                              w + " pages: 64", w + " last byte: 42"});
  }
  // A config's default limit (4 GiB) leaves room.
  expect_lines_in_order(r, {"free child grow to 64 pages: ok", "free child grow to 65 pages: 0",
                            "free child pages: 65"});
  EXPECT_EQ(count_lines_starting(r.out, "probe ended: process-died child"), 3u) << describe(r);
}

// Lunatic instantiates the child inside spawn; a module whose initial memory is over the limit
// cannot be instantiated, so spawn returns 1 with an error id.
TEST_F(ProcessConfig, AMaxMemoryBelowTheModulesInitialMemoryFailsTheSpawnWithAnError) {
  auto r = run_guest("proc_config", {"memory"});
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(r, {"spawn with max_memory below the module's minimum: 1",
                            "its error has a text: yes", "main still runs: yes"});
}

TEST_F(ProcessConfig, MaxFuelStopsAChildThatComputesForever) {
  auto r = run_guest("proc_config", {"fuel"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(has_line(r.out, "spinner: link-died tag=41")) << describe(r);
  auto spinner = number_after(r.out, "spin with max_fuel 1: spawn 0, pid ");
  ASSERT_TRUE(spinner.has_value()) << describe(r);
  EXPECT_TRUE(names_process(r.err, *spinner, "out of fuel")) << describe(r);
}

TEST_F(ProcessConfig, WithoutAFuelLimitABoundedComputationFinishes) {
  auto r = run_guest("proc_config", {"fuel"});
  EXPECT_EXIT_CODE(r, 0);
  expect_lines_in_order(
      r, {"bounded work without a fuel limit: spawn 0", "worker: data tag=300 size=0",
          "bounded work with main's config: spawn 0", "worker: data tag=300 size=0"});
}

// The lines proc_config.wasm printed for one view ("main", "configured", "bare", "inherited"),
// without the prefix.
std::vector<std::string> view_of(const RunResult& r, const std::string& who) {
  std::vector<std::string> view;
  for (auto& line : lines_of(r.out)) {
    if (line.rfind(who + " ", 0) == 0) view.push_back(line.substr(who.size() + 1));
  }
  return view;
}

class ConfigView : public ProcessConfig {
 protected:
  void SetUp() override {
    ProcessConfig::SetUp();
    shared_ = dir_ / "shared";
    fs::create_directories(shared_);
    write_file(shared_ / "hello.txt", "from the host\n");
    // --dir as well: Lunatic lets any config creator preopen any host directory, a runtime
    // might want the parent to have it; either way the child must see it.
    r_ = run_guest("proc_config", {"wasi", shared_.string()},
                   {"--dir", shared_.string(), "--env", "MAIN_ONLY=yes"});
  }

  fs::path shared_;
  RunResult r_;
};

TEST_F(ConfigView, AChildSeesExactlyTheArgsEnvAndDirsOfItsConfig) {
  EXPECT_EXIT_CODE(r_, 0);
  EXPECT_EQ(view_of(r_, "configured"), (std::vector<std::string>{
                                           "argc: 4",
                                           "arg: first",
                                           "arg: second arg",
                                           "arg: ",
                                           "arg: \xC3\xBCnicode",
                                           "envc: 3",
                                           "env: KEY=value",
                                           "env: EMPTY=",
                                           "env: EQUALS=a=b=c",
                                           "preopen: " + shared_.string(),
                                           "preopens: 1",
                                           "hello.txt: from the host",
                                       }))
      << describe(r_);
}

TEST_F(ConfigView, AChildWithANewConfigSeesNoArgsNoEnvironmentAndNoDirs) {
  EXPECT_EXIT_CODE(r_, 0);
  EXPECT_EQ(view_of(r_, "bare"), (std::vector<std::string>{"argc: 0", "envc: 0", "preopens: 0"}))
      << describe(r_);
}

TEST_F(ConfigView, AChildWithConfigMinusOneSeesWhatItsParentSees) {
  EXPECT_EXIT_CODE(r_, 0);
  auto main = view_of(r_, "main");
  ASSERT_FALSE(main.empty()) << describe(r_);
  EXPECT_EQ(view_of(r_, "inherited"), main) << describe(r_);
}

// The main process's WASI view is this runtime's, not Lunatic's (docs/abi.md: a deliberate
// difference): the module path as given, only --env, only --dir. Lunatic would give the file
// name, the host's environment, and "." besides each --dir.
TEST_F(ConfigView, TheMainProcessSeesTheModulePathOnlyEnvAndOnlyDir) {
  EXPECT_EXIT_CODE(r_, 0);
  EXPECT_EQ(view_of(r_, "main"), (std::vector<std::string>{
                                     "argc: 3",
                                     "arg: " + guest("proc_config"),
                                     "arg: wasi",
                                     "arg: " + shared_.string(),
                                     "envc: 1",
                                     "env: MAIN_ONLY=yes",
                                     "preopen: " + shared_.string(),
                                     "preopens: 1",
                                     "hello.txt: from the host",
                                 }))
      << describe(r_);
}

}  // namespace
