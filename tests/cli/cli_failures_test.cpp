// CLI tests. Bad ids and bad pointers passed to the lunatic::* functions, through
// proc_failures.wasm: each kills only the calling process, which its link and monitor hear of;
// each failure is logged on stderr with the process id; everything else goes on.
#include "support/cli_support.hpp"

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace {

using namespace cli_test;

class Failures : public ProcessTest {
 protected:
  RunResult run() {
    return run_guest("proc_failures", {guest("compile_me")}, {"--dir", GUESTS_DIR});
  }

  // The cases proc_failures.wasm ran: name and pid, from its "case <name> pid: <pid>" lines.
  static std::vector<std::pair<std::string, std::uint64_t>> cases_of(const RunResult& r) {
    std::vector<std::pair<std::string, std::uint64_t>> cases;
    for (auto& line : lines_of(r.out)) {
      auto at = line.rfind(" pid: ");
      if (line.rfind("case ", 0) != 0 || at == std::string::npos) continue;
      cases.emplace_back(line.substr(5, at - 5), std::stoull(line.substr(at + 6)));
    }
    return cases;
  }
};

TEST_F(Failures, EveryBadIdOrPointerKillsOnlyTheCaller) {
  auto r = run();
  EXPECT_EXIT_CODE(r, 0);
  auto cases = cases_of(r);
  EXPECT_EQ(cases.size(), 50u) << describe(r);
  EXPECT_TRUE(has_line(r.out, "cases: " + std::to_string(cases.size()))) << describe(r);
  for (auto& [name, pid] : cases) {
    EXPECT_TRUE(has_line(r.out, "case " + name + ": trapped"))
        << "case " << name << " did not kill its process" << describe(r);
    EXPECT_FALSE(has_line(r.out, "case " + name + ": the call returned")) << describe(r);
  }
  expect_lines_in_order(r, {"bystander kept running: yes", "a new child still runs: yes"});
}

TEST_F(Failures, EachFailureIsLoggedWithTheProcessId) {
  auto r = run();
  EXPECT_EXIT_CODE(r, 0);
  auto cases = cases_of(r);
  ASSERT_FALSE(cases.empty()) << describe(r);
  for (auto& [name, pid] : cases) {
    EXPECT_TRUE(names_process(r.err, pid, "fail"))
        << "no stderr line says process " << pid << " (" << name << ") failed" << describe(r);
  }
  EXPECT_FALSE(names_process(r.err, 1)) << "main did not fail" << describe(r);
}

TEST_F(Failures, AProcExitWithANonZeroCodeIsLoggedAsAFailure) {
  auto r = run_guest("proc_links", {"proc_exit_nonzero"});
  EXPECT_EXIT_CODE(r, 0);
  auto child = number_after(r.out, "child pid: ");
  ASSERT_TRUE(child.has_value()) << describe(r);
  EXPECT_TRUE(names_process(r.err, *child, "fail"))
      << "no stderr line says process " << *child << " failed" << describe(r);
}

}  // namespace
