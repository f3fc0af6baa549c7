// CLI tests. Running programs: output, arguments, environment, exit codes, stdin, missing modules.
#include "support/cli_support.hpp"

#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

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

TEST_F(Run, PassesArgumentsWithTheProgramNameAsGivenFirst) {
  std::string module = guest("args_env");
  auto r = lunatic({"run", module, "one", "two words", "", "h\xC3\xA9llo"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "argc=5\n"
            "argv[0]=" +
                module +
                "\n"
                "argv[1]=one\n"
                "argv[2]=two words\n"
                "argv[3]=\n"
                "argv[4]=h\xC3\xA9llo\n"
                "environ=0\n"
                "getenv(FOO)=(null)\n")
      << describe(r);
}

TEST_F(Run, ProgramNameIsTheRelativePathAsGiven) {
  RunOptions opt;
  opt.cwd = GUESTS_DIR;
  auto r = lunatic({"run", "args_env.wasm", "x"}, opt);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(r.out, "argc=2\nargv[0]=args_env.wasm\nargv[1]=x\n")) << describe(r);
}

TEST_F(Run, ShorthandPassesArgumentsToo) {
  std::string module = guest("args_env");
  auto r = lunatic({module, "a", "b"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(r.out, "argc=3\nargv[0]=" + module + "\nargv[1]=a\nargv[2]=b\n"))
      << describe(r);
}

TEST_F(Run, OptionsAfterTheModuleBelongToTheGuest) {
  std::string module = guest("args_env");
  auto r = lunatic({"run", module, "--env", "FOO=bar", "--dir", "/", "--help", "-o", "x"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "argc=8\n"
            "argv[0]=" +
                module +
                "\n"
                "argv[1]=--env\n"
                "argv[2]=FOO=bar\n"
                "argv[3]=--dir\n"
                "argv[4]=/\n"
                "argv[5]=--help\n"
                "argv[6]=-o\n"
                "argv[7]=x\n"
                "environ=0\n"
                "getenv(FOO)=(null)\n")
      << describe(r);
}

TEST_F(Run, GuestSeesOnlyTheVariablesPassedWithEnv) {
  auto r = lunatic({"run", "--env", "FOO=bar", "--env", "EMPTY=", "--env", "WITH_EQUALS=a=b=c",
                    guest("args_env")});
  EXPECT_EXIT_CODE(r, 0);
  std::multiset<std::string> env;
  int count = -1;
  for (auto& line : lines_of(r.out)) {
    if (line.rfind("env[", 0) == 0) env.insert(line.substr(line.find("]=") + 2));
    if (line.rfind("environ=", 0) == 0) count = std::atoi(line.c_str() + 8);
  }
  EXPECT_EQ(count, 3) << describe(r);
  EXPECT_EQ(env, (std::multiset<std::string>{"FOO=bar", "EMPTY=", "WITH_EQUALS=a=b=c"}))
      << describe(r);
  EXPECT_TRUE(contains(r.out, "getenv(FOO)=bar\n")) << describe(r);
  EXPECT_FALSE(contains(r.out, "must-not-leak")) << describe(r);
  EXPECT_FALSE(contains(r.out, "from-the-host-environment")) << describe(r);
}

TEST_F(Run, EnvAndDirBeforeTheModuleTakeOneValueEach) {
  // Each --env and --dir takes exactly one value: the module and its arguments that follow
  // must not be swallowed as more values.
  std::string module = guest("args_env");
  auto r = lunatic({"run", "--env", "FOO=bar", "--dir", dir_.string(), module, "a", "b"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "argc=3\n"
            "argv[0]=" +
                module +
                "\n"
                "argv[1]=a\n"
                "argv[2]=b\n"
                "environ=1\n"
                "env[0]=FOO=bar\n"
                "getenv(FOO)=bar\n")
      << describe(r);
  auto shorthand_like = lunatic({"run", "--dir", dir_.string(), "--env", "FOO=bar", module, "c"});
  EXPECT_EXIT_CODE(shorthand_like, 0);
  EXPECT_TRUE(contains(shorthand_like.out, "argc=2\nargv[0]=" + module + "\nargv[1]=c\n"))
      << describe(shorthand_like);
}

TEST_F(Run, EveryOptionBeforeTheModuleTakesItsValueWhateverTheOrder) {
  std::string module = guest("args_env");
  auto r = lunatic({"run", "--workers", "1", "--log-level", "error", "--memory-mode", "bounds",
                    "--env", "FOO=bar", module, "a"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(r.out, "argc=2\nargv[0]=" + module + "\nargv[1]=a\n")) << describe(r);
  auto reordered =
      lunatic({"run", "--memory-mode", "guard", "--workers", "2", "--log-level", "warn", module});
  EXPECT_EXIT_CODE(reordered, 0);
  EXPECT_TRUE(contains(reordered.out, "argc=1\nargv[0]=" + module + "\n")) << describe(reordered);
}

TEST_F(Run, WithoutEnvTheGuestEnvironmentIsEmpty) {
  auto r = lunatic({"run", guest("args_env")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(r.out, "environ=0\ngetenv(FOO)=(null)\n")) << describe(r);
  EXPECT_FALSE(contains(r.out, "PATH=")) << describe(r);
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
