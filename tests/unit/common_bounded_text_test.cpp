// Text of any size cut to a bound for diagnostics, saying how large it was, and never inside
// a UTF-8 character.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "common/bounded_text.hpp"

namespace lunatic {
namespace {

TEST(BoundedText, ShortTextIsKeptAndLongTextIsCutWithItsFullSizeStated) {
  EXPECT_EQ(bounded_text("short"), "short");
  const std::string huge(4'000'000, 'x');
  const std::string cut = bounded_text(huge);
  EXPECT_LE(cut.size(), kMaxDiagnosticBytes);
  EXPECT_NE(cut.find("... (4000000 bytes in all)"), std::string::npos);
}

TEST(BoundedText, NeverCutsInsideAUtf8Character) {
  std::string text;
  while (text.size() < 3 * kMaxDiagnosticBytes) text += "\xC3\xA9";  // é, two bytes
  const std::string cut = bounded_text(text);
  const std::string kept = cut.substr(0, cut.find("..."));
  EXPECT_EQ(kept.size() % 2, 0u);
}

}  // namespace
}  // namespace lunatic
