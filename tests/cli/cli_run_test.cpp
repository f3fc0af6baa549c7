// CLI tests. Running programs: output, arguments, environment, exit codes, stdin, missing modules.
#include "support/cli_support.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace {

using namespace cli_test;

class Run : public CliTest {};

TEST_F(Run, PrintsHelloWorldExactly) {
  auto r = lunatic({"run", guest("hello")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
}

TEST_F(Run, ShorthandWithoutTheRunCommandRunsTheModule) {
  auto r = lunatic({guest("hello")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
}

// As in Lunatic, the guest's argv[0] is the module's file name, without its directory.
TEST_F(Run, PassesArgumentsWithTheModulesFileNameFirst) {
  auto r = lunatic({"run", guest("args_env"), "one", "two words", "", "h\xC3\xA9llo"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(parse_args_env(r.out).argv,
            (std::vector<std::string>{"args_env.wasm", "one", "two words", "", "h\xC3\xA9llo"}))
      << describe(r);
  EXPECT_TRUE(contains(r.out, "argc=5\n")) << describe(r);
}

TEST_F(Run, ProgramNameIsTheFileNameOfARelativePathToo) {
  RunOptions opt;
  opt.cwd = fs::path(GUESTS_DIR).parent_path().string();
  std::string relative = fs::path(GUESTS_DIR).filename().string() + "/args_env.wasm";
  auto r = lunatic({"run", relative, "x"}, opt);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(parse_args_env(r.out).argv, (std::vector<std::string>{"args_env.wasm", "x"}))
      << describe(r);
}

TEST_F(Run, ShorthandPassesArgumentsToo) {
  auto r = lunatic({guest("args_env"), "a", "b"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(parse_args_env(r.out).argv, (std::vector<std::string>{"args_env.wasm", "a", "b"}))
      << describe(r);
}

TEST_F(Run, OptionsAfterTheModuleBelongToTheGuest) {
  auto r =
      lunatic({"run", guest("args_env"), "--env", "FOO=bar", "--dir", "/", "--help", "-o", "x"});
  EXPECT_EXIT_CODE(r, 0);
  auto a = parse_args_env(r.out);
  EXPECT_EQ(a.argv, (std::vector<std::string>{"args_env.wasm", "--env", "FOO=bar", "--dir", "/",
                                              "--help", "-o", "x"}))
      << describe(r);
  // "--env FOO=bar" was an argument, not an option: FOO is still the host's.
  EXPECT_EQ(a.foo, "from-the-host-environment") << describe(r);
}

// As in Lunatic, the main process inherits the host's environment; --env overrides or adds.
TEST_F(Run, EnvOverridesAndAddsToTheInheritedEnvironment) {
  auto r = lunatic({"run", "--env", "FOO=bar", "--env", "EMPTY=", "--env", "WITH_EQUALS=a=b=c",
                    guest("args_env")});
  EXPECT_EXIT_CODE(r, 0);
  auto expected = host_environment();
  expected.erase("FOO=from-the-host-environment");
  expected.insert({"FOO=bar", "EMPTY=", "WITH_EQUALS=a=b=c"});
  auto a = parse_args_env(r.out);
  EXPECT_EQ(a.env, expected) << describe(r);
  EXPECT_EQ(a.environ_count, static_cast<int>(expected.size())) << describe(r);
  EXPECT_EQ(a.foo, "bar") << describe(r);
}

TEST_F(Run, EnvAndDirBeforeTheModuleTakeOneValueEach) {
  // Each --env and --dir takes exactly one value: the module and its arguments that follow
  // must not be swallowed as more values.
  std::string module = guest("args_env");
  auto r = lunatic({"run", "--env", "FOO=bar", "--dir", dir_.string(), module, "a", "b"});
  EXPECT_EXIT_CODE(r, 0);
  auto a = parse_args_env(r.out);
  EXPECT_EQ(a.argv, (std::vector<std::string>{"args_env.wasm", "a", "b"})) << describe(r);
  EXPECT_EQ(a.foo, "bar") << describe(r);
  auto shorthand_like = lunatic({"run", "--dir", dir_.string(), "--env", "FOO=bar", module, "c"});
  EXPECT_EXIT_CODE(shorthand_like, 0);
  EXPECT_EQ(parse_args_env(shorthand_like.out).argv,
            (std::vector<std::string>{"args_env.wasm", "c"}))
      << describe(shorthand_like);
}

TEST_F(Run, WithoutEnvTheGuestInheritsTheHostEnvironmentExactly) {
  auto r = lunatic({"run", guest("args_env")});
  EXPECT_EXIT_CODE(r, 0);
  auto a = parse_args_env(r.out);
  EXPECT_EQ(a.env, host_environment()) << describe(r);
  EXPECT_TRUE(a.env.count("LUNATIC_CLI_TEST_HOST_VAR=inherited-from-the-host")) << describe(r);
  EXPECT_EQ(a.foo, "from-the-host-environment") << describe(r);
}

TEST_F(Run, ExitsWithMainsReturnValue) {
  for (int code : {0, 3, 255}) {
    SCOPED_TRACE("code " + std::to_string(code));
    auto r = lunatic({"run", guest("exit_code"), "return", std::to_string(code)});
    EXPECT_EXIT_CODE(r, code);
    EXPECT_EQ(r.out, "leaving with " + std::to_string(code) + " via return\n") << describe(r);
  }
}

TEST_F(Run, ExitsWithTheGuestsProcExitCode) {
  for (int code : {0, 3, 255}) {
    SCOPED_TRACE("code " + std::to_string(code));
    auto r = lunatic({"run", guest("exit_code"), "exit", std::to_string(code)});
    EXPECT_EXIT_CODE(r, code);
    EXPECT_EQ(r.out, "leaving with " + std::to_string(code) + " via exit\n") << describe(r);
  }
}

TEST_F(Run, ShorthandExitsWithTheGuestsCodeToo) {
  auto r = lunatic({guest("exit_code"), "exit", "3"});
  EXPECT_EXIT_CODE(r, 3);
}

TEST_F(Run, CopiesPipedStdinToTheGuest) {
  // 300 KiB of every byte value, more than a pipe holds, so reading and writing must interleave.
  std::string data;
  data.reserve(300 * 1024);
  std::uint32_t x = 12345;
  while (data.size() < 300 * 1024) {
    x = x * 1103515245u + 12345u;
    data.push_back(static_cast<char>(x >> 16));
  }
  RunOptions opt;
  opt.stdin_data = data;
  auto r = lunatic({"run", guest("stdin_echo")}, opt);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out.size(), data.size()) << describe(r);
  EXPECT_TRUE(r.out == data) << "stdout differs from stdin";
  EXPECT_TRUE(contains(r.err, "stdin_echo: 307200 bytes\n")) << describe(r);
}

TEST_F(Run, EmptyStdinReadsAsEndOfFile) {
  auto r = lunatic({"run", guest("stdin_echo")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "") << describe(r);
  EXPECT_TRUE(contains(r.err, "stdin_echo: 0 bytes\n")) << describe(r);
}

TEST_F(Run, ANonExistentModuleIsRefusedAndNamed) {
  std::string missing = (dir_ / "no-such-module.wasm").string();
  auto r = lunatic({"run", missing});
  expect_refusal(r);
  EXPECT_TRUE(contains(r.err, missing)) << describe(r);
}

TEST_F(Run, ShorthandWithANonExistentModuleIsRefusedAndNamed) {
  std::string missing = (dir_ / "no-such-module.wasm").string();
  auto r = lunatic({missing});
  expect_refusal(r);
  EXPECT_TRUE(contains(r.err, missing)) << describe(r);
}

}  // namespace
