// CLI tests. `lunatic compile`: ahead-of-time artifacts and running them.
#include "support/cli_support.hpp"

#include <cstdint>
#include <string>

namespace {

using namespace cli_test;

class Compile : public PrivateCacheTest {};

TEST_F(Compile, ACompiledArtifactRunsAnywhereWithoutTheWasm) {
  fs::path wasm = dir_ / "args_env.wasm";
  fs::copy_file(guest("args_env"), wasm);
  fs::path out = dir_ / "out.lart";
  auto c = lunatic({"compile", wasm.string(), "-o", out.string()});
  EXPECT_EXIT_CODE(c, 0);
  EXPECT_EQ(c.out, "") << "compile must not run the program" << describe(c);
  ASSERT_TRUE(fs::is_regular_file(out));
  EXPECT_GT(fs::file_size(out), 0u);

  // Run it from elsewhere, with an empty cache, the wasm gone.
  fs::remove(wasm);
  fs::path moved = dir_ / "elsewhere" / "app.lart";
  fs::create_directories(moved.parent_path());
  fs::rename(out, moved);
  RunOptions opt;
  opt.env["XDG_CACHE_HOME"] = (dir_ / "other-cache").string();
  auto r = lunatic({"run", "--timings", "--env", "FOO=bar", moved.string(), "x", "y z"}, opt);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "argc=3\n"
            "argv[0]=" +
                moved.string() +
                "\n"
                "argv[1]=x\n"
                "argv[2]=y z\n"
                "environ=1\n"
                "env[0]=FOO=bar\n"
                "getenv(FOO)=bar\n")
      << describe(r);
  EXPECT_EQ(cache_state(r), "file");
}

TEST_F(Compile, AnArtifactFileHoldsTheGuardVariantUnlessBoundsIsAskedFor) {
  fs::path guard = dir_ / "guard.lart";
  fs::path bounds = dir_ / "bounds.lart";
  EXPECT_EXIT_CODE(lunatic({"compile", guest("hello"), "-o", guard.string()}), 0);
  EXPECT_EXIT_CODE(
      lunatic({"compile", "--memory-mode", "bounds", guest("hello"), "-o", bounds.string()}), 0);
  EXPECT_TRUE(contains(read_file(guard), "\"memory_mode\":\"guard\""));
  EXPECT_TRUE(contains(read_file(bounds), "\"memory_mode\":\"bounds\""));
  for (const fs::path& artifact : {guard, bounds}) {
    auto r = lunatic({"run", artifact.string()});
    EXPECT_EXIT_CODE(r, 0);
    EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
  }
}

TEST_F(Compile, ShorthandRunsACompiledArtifact) {
  fs::path out = dir_ / "hello.lart";
  EXPECT_EXIT_CODE(lunatic({"compile", guest("hello"), "-o", out.string()}), 0);
  auto r = lunatic({out.string()});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
}

TEST_F(Compile, ACompiledArtifactKeepsTrapsAndExitCodes) {
  fs::path trap = dir_ / "trap.lart";
  fs::path exit = dir_ / "exit.lart";
  EXPECT_EXIT_CODE(lunatic({"compile", guest("trap_unreachable"), "-o", trap.string()}), 0);
  EXPECT_EXIT_CODE(lunatic({"compile", guest("exit_code"), "-o", exit.string()}), 0);
  expect_trap(lunatic({"run", trap.string()}), "unreachable executed");
  auto r = lunatic({"run", exit.string(), "exit", "255"});
  EXPECT_EXIT_CODE(r, 255);
}

TEST_F(Compile, ACorruptedArtifactFileIsRefusedAsDamaged) {
  fs::path out = dir_ / "hello.lart";
  EXPECT_EXIT_CODE(lunatic({"compile", guest("hello"), "-o", out.string()}), 0);
  std::string bytes = read_file(out);
  ASSERT_GT(bytes.size(), 256u);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 64; ++i)
    bytes[i] = static_cast<char>(bytes[i] ^ 0xFF);
  write_file(out, bytes);
  auto r = lunatic({"run", out.string()});
  expect_refusal(r);
  EXPECT_TRUE(contains(r.err, "damaged")) << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
}

TEST_F(Compile, ATruncatedArtifactFileIsRefusedAsDamaged) {
  fs::path out = dir_ / "hello.lart";
  EXPECT_EXIT_CODE(lunatic({"compile", guest("hello"), "-o", out.string()}), 0);
  for (auto size : {fs::file_size(out) / 2, std::uintmax_t{10}}) {
    SCOPED_TRACE("truncated to " + std::to_string(size));
    fs::resize_file(out, size);
    auto r = lunatic({"run", out.string()});
    expect_refusal(r);
    EXPECT_TRUE(contains(r.err, "damaged")) << describe(r);
  }
}

TEST_F(Compile, CompilingANonExistentFileFailsAndNamesIt) {
  std::string missing = (dir_ / "no-such-module.wasm").string();
  fs::path out = dir_ / "out.lart";
  auto r = lunatic({"compile", missing, "-o", out.string()});
  expect_refusal(r);
  EXPECT_TRUE(contains(r.err, missing)) << describe(r);
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(Compile, RunningANonExistentArtifactFailsAndNamesIt) {
  std::string missing = (dir_ / "no-such-artifact.lart").string();
  auto r = lunatic({"run", missing});
  expect_refusal(r);
  EXPECT_TRUE(contains(r.err, missing)) << describe(r);
}

}  // namespace
