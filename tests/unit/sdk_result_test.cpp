// The guest SDK's Result, compiled for the host (the same header guests use): a value or an
// Error, whose copies and moves keep the right member alive (this suite also runs under ASan).
#include <gtest/gtest.h>

#include <lunatic/result.hpp>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace lunatic;

TEST(SdkResult, ValueOfATemporaryIsACopyNotADanglingReference) {
  auto make = [] { return Result<std::vector<int>>(std::vector<int>{1, 2, 3}); };
  int sum = 0;
  for (int x : make().value()) sum += x;  // would read freed memory if value() && returned T&&
  EXPECT_EQ(sum, 6);
  Result<int> failed = Error{ErrorKind::kTimeout, "late"};
  EXPECT_FALSE(failed);
  EXPECT_EQ(failed.value_or(4), 4);
  EXPECT_EQ(failed.error().message, "late");
  EXPECT_DEATH((void)failed.value(), "");
}

// The Result union: every copy and move between the value and the error state keeps the right
// member alive (run under ASan, a wrong destructor is a use-after-free or a double free).
TEST(SdkResult, CopiesMovesAndAssignmentsBetweenValueAndErrorKeepTheRightMember) {
  const std::string long_text(100, 'v');  // past the small-string buffer: heap-allocated
  Result<std::string> value = long_text;
  Result<std::string> error = Error{ErrorKind::kDecode, std::string(100, 'e')};
  Result<std::string> copy = value;
  EXPECT_EQ(copy.value(), long_text);
  Result<std::string> moved = std::move(copy);
  EXPECT_EQ(moved.value(), long_text);
  moved = error;  // value -> error
  ASSERT_FALSE(moved);
  EXPECT_EQ(moved.error().message, std::string(100, 'e'));
  moved = value;  // error -> value
  EXPECT_EQ(moved.value(), long_text);
  moved = std::move(error);
  EXPECT_EQ(moved.error().kind, ErrorKind::kDecode);
  auto& self = moved;
  moved = self;  // self-assignment leaves it as it was
  EXPECT_EQ(moved.error().message, std::string(100, 'e'));

  Result<void> ok;
  Result<void> failed = Error{ErrorKind::kTimeout, std::string(100, 't')};
  Result<void> failed_copy = failed;
  EXPECT_TRUE(ok);
  ASSERT_FALSE(failed_copy);
  EXPECT_EQ(failed_copy.error().message, std::string(100, 't'));
  failed_copy = ok;
  EXPECT_TRUE(failed_copy);
  ok = std::move(failed);
  EXPECT_EQ(ok.error().kind, ErrorKind::kTimeout);
}

}  // namespace
