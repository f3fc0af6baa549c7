// CLI tests. The lunatic executable allocates with mimalloc when built with it (the default):
// linked first, its malloc is the one the runtime, its libraries and loaded modules bind to.
#include "support/cli_support.hpp"

#include <regex>

namespace {

using namespace cli_test;

class Allocator : public CliTest {};

TEST_F(Allocator, MimallocServesTheRuntimesAllocations) {
  if (!LUNATIC_WITH_MIMALLOC) GTEST_SKIP() << "built with LUNATIC_MIMALLOC=OFF or a sanitizer";
  RunOptions opt;
  // mimalloc prints its statistics at exit when asked; glibc's malloc knows no such variable.
  opt.env["MIMALLOC_SHOW_STATS"] = "1";
  auto r = lunatic({"run", guest("hello")}, opt);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
  // Loaded is not enough: memory it handed out shows that malloc calls reached it.
  std::smatch touched;
  ASSERT_TRUE(std::regex_search(r.err, touched, std::regex(R"(touched:\s+(\S+))"))) << describe(r);
  EXPECT_NE(touched[1].str(), "0") << describe(r);
}

}  // namespace
