// What every CLI test shares: running a command with a timeout and capturing its output, paths
// of the built binary and guests, small text and file helpers, assertions on exit codes, traps
// and refusals, and the fixture that gives each test its own temporary directory, HOME and
// artifact cache.
//
// LUNATIC_BIN, GUESTS_DIR and COMPUTE_NATIVE are defined by tests/cli/CMakeLists.txt.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "shared/temp_dir.hpp"

namespace cli_test {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// ---------------------------------------------------------------------------------------------
// Running a command
// ---------------------------------------------------------------------------------------------

struct RunOptions {
  std::string stdin_data;  // written to the child's stdin, which is then closed
  // Environment changes on top of this process's environment: a value sets, nullopt unsets.
  std::map<std::string, std::optional<std::string>> env;
  std::string cwd;  // empty: inherit
  std::chrono::seconds timeout{120};
};

struct RunResult {
  int exit_code = -1;  // when the child exited normally
  int signal = 0;      // when a signal killed it
  bool timed_out = false;
  std::string out;
  std::string err;
  double seconds = 0;
  std::string command;
};

// The command, how it ended, and (the start of) its stdout and stderr, for failure messages.
std::string describe(const RunResult& r);

// The environment run_command gives the child: this process's, with opt.env applied.
std::vector<std::string> child_environment(const RunOptions& opt);

// Runs argv[0] (an absolute path) with the given arguments, feeding stdin and capturing stdout
// and stderr separately. The child gets its own process group, which is killed as a whole if it
// outlives the timeout. Safe to call from several threads at once.
RunResult run_command(const std::vector<std::string>& argv, const RunOptions& opt = {});

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

// The `lunatic` binary under test: $LUNATIC_TEST_BIN when set (the sanitizer build's, say),
// else the one this build made.
std::string lunatic_binary();

// The path of the built guest tests/guests/<name>.{c,wat} as a .wasm file.
std::string guest(std::string_view name);
// The path of the built example <name>.wasm (examples/).
std::string example(std::string_view name);

bool contains(std::string_view haystack, std::string_view needle);
std::string lower(std::string s);
std::vector<std::string> lines_of(std::string_view text);
std::optional<std::string> line_containing(std::string_view text, std::string_view needle);
std::string read_file(const fs::path& p);
void write_file(const fs::path& p, std::string_view data);

// The guest's `key: value` lines as a map (a repeated key keeps its last value).
std::map<std::string, std::string> key_values(std::string_view text);

// Whether `text` has a line exactly equal to `line`.
bool has_line(std::string_view text, std::string_view line);
// How many lines of `text` start with `prefix`.
size_t count_lines_starting(std::string_view text, std::string_view prefix);
// The unsigned number after the first line that starts with `prefix` ("child pid: " -> 17).
std::optional<std::uint64_t> number_after(std::string_view text, std::string_view prefix);
// Whether some line of `text` names process `pid` ("process 17" not followed by a digit) and
// contains `also`.
bool names_process(std::string_view text, std::uint64_t pid, std::string_view also = "");

// Expects each of `lines` exactly, in this order, among the lines of r.out (other lines may come
// between them).
void expect_lines_in_order(const RunResult& r, const std::vector<std::string>& lines);

// All artifacts in a cache directory tree.
std::vector<fs::path> artifacts_under(const fs::path& root);

// The events of a Chrome trace (`--trace FILE`) with phase `ph` and name `name` (any name when
// empty).
std::vector<nlohmann::json> trace_events(const nlohmann::json& trace, std::string_view ph,
                                         std::string_view name = "");

// The JSON of the one `lunatic-timings: {...}` line on stderr.
nlohmann::json timings_of(const RunResult& r);
// Its "cache" field: "miss", "hit" or "file".
std::string cache_state(const RunResult& r);

// ---------------------------------------------------------------------------------------------
// Assertions
// ---------------------------------------------------------------------------------------------

#define EXPECT_EXIT_CODE(r, code)                                                                  \
  do {                                                                                             \
    const ::cli_test::RunResult& cli_result_ = (r);                                                \
    EXPECT_FALSE(cli_result_.timed_out) << ::cli_test::describe(cli_result_);                      \
    EXPECT_EQ(cli_result_.signal, 0) << "killed by a signal" << ::cli_test::describe(cli_result_); \
    EXPECT_EQ(cli_result_.exit_code, (code)) << ::cli_test::describe(cli_result_);                 \
  } while (0)

// A trap: exit code 134 (not a signal), and a stderr line with "trap:" and the kind.
void expect_trap(const RunResult& r, std::string_view kind);

// A refusal: exit code 1, no crash, and stderr starting with "lunatic: error:".
void expect_refusal(const RunResult& r);

// The same, for refusals that may come after a (cold) compile has printed progress: some line
// of stderr starts with "lunatic: error:".
void expect_refusal_after_compile(const RunResult& r);

// ---------------------------------------------------------------------------------------------
// Fixture: a private temporary directory and HOME per test; one artifact cache for the suite
// ---------------------------------------------------------------------------------------------

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Runs `lunatic args...` with this test's HOME and XDG_CACHE_HOME (cache_), two more host
  // variables that a guest must never see (LUNATIC_CLI_TEST_HOST_VAR, FOO), and, unless opt.cwd
  // says otherwise, the empty directory work_ as its working directory.
  RunResult lunatic(std::vector<std::string> args, RunOptions opt = {});

  // The options lunatic() runs with.
  RunOptions with_test_environment(RunOptions opt) const;

  lunatic::testing::TempDir temp_{"lunatic-cli"};  // removed after the test unless it failed
  const fs::path dir_ = temp_.path();
  // The artifact cache runs use: SHARED_CACHE_DIR, so that a guest is compiled once for the
  // whole suite rather than once per test, unless the fixture is a PrivateCacheTest.
  fs::path cache_;
  fs::path home_;
  fs::path work_;
  bool private_cache_ = false;
};

// For tests of the artifact cache itself: cache_ is this test's own, empty at the start.
class PrivateCacheTest : public CliTest {
 protected:
  PrivateCacheTest() { private_cache_ = true; }
};

// For guests that use processes.
class ProcessTest : public CliTest {
 protected:
  // `lunatic run [options...] <guest>.wasm args...`.
  RunResult run_guest(std::string_view name, std::vector<std::string> args = {},
                      std::vector<std::string> options = {}, RunOptions opt = {});
  // The same environment as "K=V" entries, for a BackgroundServer.
  std::vector<std::string> background_environment() const;
};

}  // namespace cli_test
