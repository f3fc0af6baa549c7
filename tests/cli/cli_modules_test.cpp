// CLI tests. Modules that must be refused before anything runs: malformed, invalid, unsupported.
#include "support/cli_support.hpp"

#include <cstdint>
#include <string>

namespace {

using namespace cli_test;

class Modules : public CliTest {};

void expect_says_why(const RunResult& r) {
  std::string e = lower(r.err);
  EXPECT_TRUE(contains(e, "malformed") || contains(e, "invalid") || contains(e, "unsupported"))
      << "the error should say the module is malformed, invalid or unsupported" << describe(r);
}

TEST_F(Modules, BadMagicIsRefusedAsMalformed) {
  fs::path bad = dir_ / "bad_magic.wasm";
  write_file(bad, std::string("\0asX\x01\0\0\0", 8) + read_file(guest("hello")).substr(8));
  auto r = lunatic({"run", bad.string()});
  expect_refusal(r);
  EXPECT_TRUE(contains(lower(r.err), "malformed")) << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
}

TEST_F(Modules, WrongVersionIsRefusedAsMalformed) {
  fs::path bad = dir_ / "bad_version.wasm";
  write_file(bad, std::string("\0asm\x02\0\0\0", 8) + read_file(guest("hello")).substr(8));
  auto r = lunatic({"run", bad.string()});
  expect_refusal(r);
  expect_says_why(r);
}

TEST_F(Modules, TruncatedModulesAreRefusedAsMalformed) {
  std::string full = read_file(guest("hello"));
  ASSERT_GT(full.size(), 100u);
  for (size_t len : {size_t{4}, size_t{20}, full.size() / 2, full.size() - 1}) {
    SCOPED_TRACE("truncated to " + std::to_string(len) + " of " + std::to_string(full.size()) +
                 " bytes");
    fs::path bad = dir_ / ("truncated_" + std::to_string(len) + ".wasm");
    write_file(bad, full.substr(0, len));
    auto r = lunatic({"run", bad.string()});
    expect_refusal(r);
    EXPECT_TRUE(contains(lower(r.err), "malformed")) << describe(r);
  }
}

TEST_F(Modules, AnEmptyFileIsRefused) {
  fs::path bad = dir_ / "empty.wasm";
  write_file(bad, "");
  auto r = lunatic({"run", bad.string()});
  expect_refusal(r);
  expect_says_why(r);
}

TEST_F(Modules, ATextFormatModuleIsRefused) {
  fs::path bad = dir_ / "text.wasm";
  write_file(bad, "(module (func (export \"_start\")))\n");
  auto r = lunatic({"run", bad.string()});
  expect_refusal(r);
  expect_says_why(r);
}

TEST_F(Modules, ARandomGarbageFileIsRefused) {
  std::string junk = std::string("\0asm\x01\0\0\0", 8);
  std::uint32_t x = 99;
  for (int i = 0; i < 4096; ++i) {
    x = x * 1664525u + 1013904223u;
    junk.push_back(static_cast<char>(x >> 24));
  }
  fs::path bad = dir_ / "garbage.wasm";
  write_file(bad, junk);
  auto r = lunatic({"run", bad.string()});
  expect_refusal(r);
  expect_says_why(r);
}

TEST_F(Modules, ATypeErrorIsRefusedAsInvalid) {
  auto r = lunatic({"run", guest("invalid_types")});
  expect_refusal(r);
  EXPECT_TRUE(contains(lower(r.err), "invalid")) << describe(r);
}

TEST_F(Modules, StackUnderflowAndABadFunctionIndexAreRefusedAsInvalid) {
  auto r = lunatic({"run", guest("invalid_stack")});
  expect_refusal(r);
  EXPECT_TRUE(contains(lower(r.err), "invalid")) << describe(r);
}

TEST_F(Modules, ThreadsAndAtomicsAreRefused) {
  auto r = lunatic({"run", guest("unsupported_threads")});
  expect_refusal(r);
  expect_says_why(r);
}

TEST_F(Modules, ExceptionHandlingIsRefused) {
  auto r = lunatic({"run", guest("unsupported_exceptions")});
  expect_refusal(r);
  expect_says_why(r);
}

TEST_F(Modules, AModuleWithoutStartIsRefusedWithoutCrashing) {
  fs::path empty = dir_ / "no_start.wasm";
  write_file(empty, std::string("\0asm\x01\0\0\0", 8));
  auto r = lunatic({"run", empty.string()});
  expect_refusal_after_compile(r);
  EXPECT_TRUE(contains(r.err, "_start")) << describe(r);
}

TEST_F(Modules, CompileRefusesAMalformedModuleAndWritesNothing) {
  fs::path bad = dir_ / "bad_magic.wasm";
  write_file(bad, std::string("\0asX\x01\0\0\0", 8));
  fs::path out = dir_ / "out.lart";
  auto r = lunatic({"compile", bad.string(), "-o", out.string()});
  expect_refusal(r);
  EXPECT_TRUE(contains(lower(r.err), "malformed")) << describe(r);
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
