// CLI tests. Imports the host lacks or provides with another signature.
#include "support/cli_support.hpp"

#include <algorithm>
#include <string>

namespace {

using namespace cli_test;

class Imports : public CliTest {};

TEST_F(Imports, MissingImportsAreListedWithSignaturesAndNothingRuns) {
  auto r = lunatic({"run", guest("missing_import")});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_EQ(r.out, "") << "_start ran although imports are missing" << describe(r);
  auto lines = lines_of(r.err);
  auto has_line = [&](const std::string& want) {
    return std::find(lines.begin(), lines.end(), want) != lines.end() ||
           std::any_of(lines.begin(), lines.end(), [&](const std::string& l) {
             return l.size() > want.size() &&
                    l.compare(l.size() - want.size(), want.size(), want) == 0;
           });
  };
  EXPECT_TRUE(
      has_line("missing import: module \"env\", name \"foo\", signature (i32 i32) -> (i32)"))
      << describe(r);
  EXPECT_TRUE(has_line("missing import: module \"env\", name \"bar\", signature (i64 f64) -> ()"))
      << describe(r);
  EXPECT_TRUE(contains(r.err, "lunatic: error:")) << describe(r);
  // WASI imports the host does have are not reported.
  EXPECT_FALSE(contains(r.err, "fd_write")) << describe(r);
}

TEST_F(Imports, ImportsWithTheWrongSignatureAreRefused) {
  auto r = lunatic({"run", guest("wrong_signature_import")});
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_EQ(r.out, "") << describe(r);
  auto fd_write = line_containing(r.err, "\"fd_write\"");
  ASSERT_TRUE(fd_write.has_value()) << describe(r);
  EXPECT_TRUE(contains(*fd_write, "(i32) -> (i32)")) << *fd_write;
  auto proc_exit = line_containing(r.err, "\"proc_exit\"");
  ASSERT_TRUE(proc_exit.has_value()) << describe(r);
  EXPECT_TRUE(contains(*proc_exit, "(i64) -> ()")) << *proc_exit;
}

}  // namespace
