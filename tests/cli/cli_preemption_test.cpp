// CLI tests. Preemption instrumentation does not change what a program computes.
#include "support/cli_support.hpp"

namespace {

using namespace cli_test;

class Preemption : public CliTest {};

TEST_F(Preemption, ComputeBoundGuestPrintsTheSameChecksumAsTheNativeBuild) {
  auto native = run_command({COMPUTE_NATIVE});
  EXPECT_EXIT_CODE(native, 0);
  ASSERT_TRUE(contains(native.out, "checksum=")) << describe(native);
  auto r = lunatic({"run", guest("compute")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, native.out) << describe(r);
}

}  // namespace
