// `lunatic test`: Lunatic's test mode. Runs each exported `#lunatic_test_...` function of a
// module (what lunatic-rs's #[lunatic::test] generates) in a process of its own, all at once,
// captures each one's output, and reports in the format of Rust's libtest, as Lunatic does.
// Cargo reaches it through `lunatic` as its runner (main.cpp decides when, as Lunatic does).
#pragma once

#include <string>
#include <vector>

namespace lunatic::cli {

struct TestOptions {
  std::string module_path;
  std::string filter;             // only tests whose name contains it (or equals it: exact)
  std::vector<std::string> dirs;  // --dir, besides "." which is always preopened
  bool exact = false;
  bool ignored = false;           // run only the ignored tests
  bool nocapture = false;         // let the tests write to the terminal
  bool show_output = false;       // also print the output of tests that passed
  bool list = false;              // print the tests' names instead of running them
  std::string format;             // with --list: only "terse"
  unsigned workers = 0;           // 0: one per core
  std::vector<std::string> args;  // the guest's arguments
};

// 0 when every test run passed, 1 when one failed (as Lunatic; Cargo reports any non-zero code
// as a failed test binary), 1 for a module that cannot be loaded.
int test_command(const TestOptions& options);

}  // namespace lunatic::cli
