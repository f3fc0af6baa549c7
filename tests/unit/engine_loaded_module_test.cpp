// Loading compiled modules into this process.
#include <gtest/gtest.h>

#include <cstdint>

#include "support/guest.hpp"

namespace lunatic::engine {
namespace {

using testing::load;
using testing::run;

// The loader knows a shared object by its path (/proc/self/fd/N): two modules loaded at the same
// time must not be taken for one another.
TEST(Loading, TwoModulesLoadedAtOnceKeepTheirOwnCode) {
  auto seven = load("(module (func (export \"f\") (result i32) (i32.const 7)))");
  auto eight = load("(module (func (export \"f\") (result i32) (i32.const 8)))");
  std::uint64_t result = 0;
  ASSERT_TRUE(run(seven, "f", {}, &result).ok());
  EXPECT_EQ(result, 7u);
  ASSERT_TRUE(run(eight, "f", {}, &result).ok());
  EXPECT_EQ(result, 8u);
}

}  // namespace
}  // namespace lunatic::engine
