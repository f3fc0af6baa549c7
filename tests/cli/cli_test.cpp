// Behaviour tests of the `lunatic` command line: they run the built binary on the guests of
// tests/guests and check what a user sees (exit code, stdout, stderr) and what happens on the
// host (files, the artifact cache).
//
// Every test gets its own temporary directory, HOME and XDG_CACHE_HOME, so the tests can run in
// parallel (ctest -j) and a cold run really is cold. A test that fails keeps its directory and
// prints its path.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

extern char** environ;

namespace {

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

std::string describe(const RunResult& r) {
  std::ostringstream s;
  s << "\n  command: " << r.command << "\n  ";
  if (r.timed_out) s << "TIMED OUT (killed) ";
  if (r.signal != 0) {
    s << "killed by signal " << r.signal << " (" << strsignal(r.signal) << ")";
  } else {
    s << "exit code " << r.exit_code;
  }
  s << " after " << r.seconds << " s\n  --- stdout (" << r.out.size() << " bytes) ---\n"
    << r.out.substr(0, 4000) << "\n  --- stderr (" << r.err.size() << " bytes) ---\n"
    << r.err.substr(0, 4000) << "\n  ---";
  return s.str();
}

// A write to a child that has already exited must not kill the test with SIGPIPE.
const bool sigpipe_ignored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

// Runs argv[0] (an absolute path) with the given arguments, feeding stdin and capturing stdout
// and stderr separately. The child gets its own process group, which is killed as a whole if it
// outlives the timeout. Safe to call from several threads at once.
RunResult run_command(const std::vector<std::string>& argv, const RunOptions& opt = {}) {
  RunResult r;
  for (const auto& a : argv) r.command += (r.command.empty() ? "" : " ") + a;

  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    std::string key(kv.substr(0, kv.find('=')));
    if (opt.env.count(key) == 0) env_strings.emplace_back(kv);
  }
  for (const auto& [k, v] : opt.env) {
    if (v) env_strings.push_back(k + "=" + *v);
  }
  std::vector<char*> cenv;
  for (auto& e : env_strings) cenv.push_back(e.data());
  cenv.push_back(nullptr);

  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2: " << std::strerror(errno);
    return r;
  }
  const auto start = Clock::now();
  pid_t pid = fork();
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    return r;
  }
  if (pid == 0) {
    setpgid(0, 0);
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGPIPE, &dfl, nullptr);
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    if (!opt.cwd.empty() && chdir(opt.cwd.c_str()) != 0) _exit(126);
    execve(cargv[0], cargv.data(), cenv.data());
    _exit(127);
  }
  setpgid(pid, pid);  // also from here, so the group exists before any kill below
  close(in[0]);
  close(out[1]);
  close(err[1]);
  int in_fd = in[1], out_fd = out[0], err_fd = err[0];
  fcntl(in_fd, F_SETFL, O_NONBLOCK);
  size_t written = 0;
  if (opt.stdin_data.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  const auto deadline = start + opt.timeout;
  char buf[65536];
  while (out_fd >= 0 || err_fd >= 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      r.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      break;
    }
    pollfd fds[3];
    int n = 0;
    int in_i = -1, out_i = -1, err_i = -1;
    if (in_fd >= 0) fds[in_i = n++] = {in_fd, POLLOUT, 0};
    if (out_fd >= 0) fds[out_i = n++] = {out_fd, POLLIN, 0};
    if (err_fd >= 0) fds[err_i = n++] = {err_fd, POLLIN, 0};
    int pr = poll(fds, n, static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (pr < 0 && errno != EINTR) {
      ADD_FAILURE() << "poll: " << std::strerror(errno);
      break;
    }
    if (pr <= 0) continue;
    if (in_i >= 0 && fds[in_i].revents != 0) {
      ssize_t w = write(in_fd, opt.stdin_data.data() + written, opt.stdin_data.size() - written);
      if (w > 0) written += static_cast<size_t>(w);
      if ((w < 0 && errno != EAGAIN) || written == opt.stdin_data.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
    for (auto [idx, fdp, sink] :
         {std::tuple{out_i, &out_fd, &r.out}, std::tuple{err_i, &err_fd, &r.err}}) {
      if (idx < 0 || fds[idx].revents == 0) continue;
      ssize_t got = read(*fdp, buf, sizeof buf);
      if (got > 0) {
        sink->append(buf, static_cast<size_t>(got));
      } else if (got == 0 || (errno != EINTR && errno != EAGAIN)) {
        close(*fdp);
        *fdp = -1;
      }
    }
  }
  for (int fd : {in_fd, out_fd, err_fd}) {
    if (fd >= 0) close(fd);
  }
  int status = 0;
  for (;;) {
    pid_t w = waitpid(pid, &status, r.timed_out ? 0 : WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) {
      ADD_FAILURE() << "waitpid: " << std::strerror(errno);
      return r;
    }
    if (Clock::now() > deadline) {
      r.timed_out = true;
      kill(-pid, SIGKILL);
      kill(pid, SIGKILL);
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (r.timed_out) kill(-pid, SIGKILL);  // whatever the child left behind in its group
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (WIFEXITED(status)) r.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) r.signal = WTERMSIG(status);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Small helpers
// ---------------------------------------------------------------------------------------------

std::string guest(std::string_view name) {
  return std::string(GUESTS_DIR) + "/" + std::string(name) + ".wasm";
}

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

std::vector<std::string> lines_of(std::string_view text) {
  std::vector<std::string> lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string_view::npos) nl = text.size();
    lines.emplace_back(text.substr(pos, nl - pos));
    pos = nl + 1;
  }
  return lines;
}

std::optional<std::string> line_containing(std::string_view text, std::string_view needle) {
  for (auto& line : lines_of(text)) {
    if (contains(line, needle)) return line;
  }
  return std::nullopt;
}

std::string read_file(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void write_file(const fs::path& p, std::string_view data) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(f.good()) << "could not write " << p;
}

// The guest's `key: value` lines as a map.
std::map<std::string, std::string> key_values(std::string_view text) {
  std::map<std::string, std::string> kv;
  for (auto& line : lines_of(text)) {
    auto colon = line.find(": ");
    if (colon != std::string::npos) kv[line.substr(0, colon)] = line.substr(colon + 2);
  }
  return kv;
}

// All artifacts in a cache directory tree.
std::vector<fs::path> artifacts_under(const fs::path& root) {
  std::vector<fs::path> found;
  std::error_code ec;
  if (!fs::exists(root, ec)) return found;
  for (auto it = fs::recursive_directory_iterator(root, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file() && it->path().extension() == ".lart") found.push_back(it->path());
  }
  std::sort(found.begin(), found.end());
  return found;
}

// The JSON of the one `lunatic-timings: {...}` line on stderr.
nlohmann::json timings_of(const RunResult& r) {
  constexpr std::string_view prefix = "lunatic-timings: ";
  std::vector<std::string> found;
  for (auto& line : lines_of(r.err)) {
    if (line.rfind(prefix, 0) == 0) found.push_back(line.substr(prefix.size()));
  }
  EXPECT_EQ(found.size(), 1u) << "expected exactly one timings line" << describe(r);
  if (found.empty()) return nlohmann::json::object();
  auto j = nlohmann::json::parse(found.front(), nullptr, /*allow_exceptions=*/false);
  EXPECT_FALSE(j.is_discarded()) << "timings line is not JSON: " << found.front();
  if (j.is_discarded() || !j.is_object()) return nlohmann::json::object();
  return j;
}

std::string cache_state(const RunResult& r) {
  auto j = timings_of(r);
  if (!j.contains("cache") || !j["cache"].is_string()) {
    ADD_FAILURE() << "timings have no string \"cache\"" << describe(r);
    return "";
  }
  return j["cache"].get<std::string>();
}

#define EXPECT_EXIT_CODE(r, code)                                    \
  do {                                                               \
    const RunResult& r_ = (r);                                       \
    EXPECT_FALSE(r_.timed_out) << describe(r_);                      \
    EXPECT_EQ(r_.signal, 0) << "killed by a signal" << describe(r_); \
    EXPECT_EQ(r_.exit_code, (code)) << describe(r_);                 \
  } while (0)

// A trap: exit code 134 (not a signal), and a stderr line with "trap:" and the kind.
void expect_trap(const RunResult& r, std::string_view kind) {
  EXPECT_EXIT_CODE(r, 134);
  auto line = line_containing(r.err, "trap:");
  ASSERT_TRUE(line.has_value()) << "no line with \"trap:\" on stderr" << describe(r);
  EXPECT_TRUE(contains(*line, kind)) << "the trap line does not say \"" << kind << "\": " << *line;
}

// A refusal: exit code 1, no crash, and stderr starting with "lunatic: error:".
void expect_refusal(const RunResult& r) {
  EXPECT_EXIT_CODE(r, 1);
  EXPECT_EQ(r.err.rfind("lunatic: error:", 0), 0u)
      << "stderr must start with \"lunatic: error:\"" << describe(r);
}

// The same, for refusals that may come after a (cold) compile has printed progress: some line
// of stderr starts with "lunatic: error:".
void expect_refusal_after_compile(const RunResult& r) {
  EXPECT_EXIT_CODE(r, 1);
  auto lines = lines_of(r.err);
  EXPECT_TRUE(std::any_of(lines.begin(), lines.end(),
                          [](const std::string& l) { return l.rfind("lunatic: error:", 0) == 0; }))
      << "no stderr line starts with \"lunatic: error:\"" << describe(r);
}

// ---------------------------------------------------------------------------------------------
// Fixture: a private temporary directory, HOME and artifact cache per test
// ---------------------------------------------------------------------------------------------

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "lunatic-cli-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr) << std::strerror(errno);
    dir_ = fs::canonical(tmpl);
    cache_ = dir_ / "cache";
    home_ = dir_ / "home";
    fs::create_directories(home_);
    ASSERT_TRUE(fs::exists(LUNATIC_BIN)) << "the lunatic binary is not built: " << LUNATIC_BIN;
  }

  void TearDown() override {
    std::error_code ec;
    if (HasFailure()) {
      std::cerr << "[ kept    ] " << dir_.string() << "\n";
    } else {
      fs::remove_all(dir_, ec);
    }
  }

  // Runs `lunatic args...` with this test's HOME and XDG_CACHE_HOME, plus two host variables
  // that a guest must never see.
  RunResult lunatic(std::vector<std::string> args, RunOptions opt = {}) {
    args.insert(args.begin(), LUNATIC_BIN);
    opt.env.try_emplace("XDG_CACHE_HOME", cache_.string());
    opt.env.try_emplace("HOME", home_.string());
    opt.env.try_emplace("LUNATIC_CLI_TEST_HOST_VAR", "must-not-leak");
    opt.env.try_emplace("FOO", "from-the-host-environment");
    return run_command(args, opt);
  }

  fs::path dir_;
  fs::path cache_;
  fs::path home_;
};

class Help : public CliTest {};
class Run : public CliTest {};
class Wasi : public CliTest {};
class Traps : public CliTest {};
class Modules : public CliTest {};
class Imports : public CliTest {};
class Memory : public CliTest {};
class Preemption : public CliTest {};
class Cache : public CliTest {};
class Compile : public CliTest {};
class MemoryModes : public CliTest {};

// ---------------------------------------------------------------------------------------------
// --help
// ---------------------------------------------------------------------------------------------

TEST_F(Help, TopLevelHelpPrintsUsageAndExitsZero) {
  auto r = lunatic({"--help"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(lower(r.out), "usage")) << describe(r);
  EXPECT_TRUE(contains(r.out, "run")) << describe(r);
  EXPECT_TRUE(contains(r.out, "compile")) << describe(r);
}

TEST_F(Help, RunHelpPrintsUsageWithItsOptionsAndExitsZero) {
  auto r = lunatic({"run", "--help"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(lower(r.out), "usage")) << describe(r);
  EXPECT_TRUE(contains(r.out, "--dir")) << describe(r);
  EXPECT_TRUE(contains(r.out, "--env")) << describe(r);
  EXPECT_TRUE(contains(r.out, "--timings")) << describe(r);
}

TEST_F(Help, CompileHelpPrintsUsageAndExitsZero) {
  auto r = lunatic({"compile", "--help"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(lower(r.out), "usage")) << describe(r);
  EXPECT_TRUE(contains(r.out, "-o")) << describe(r);
}

TEST_F(Help, RunWithoutAModuleFailsWithoutCrashing) {
  auto r = lunatic({"run"});
  EXPECT_FALSE(r.timed_out) << describe(r);
  EXPECT_EQ(r.signal, 0) << describe(r);
  EXPECT_NE(r.exit_code, 0) << describe(r);
}

// ---------------------------------------------------------------------------------------------
// Running programs: output, arguments, environment, exit codes, stdin
// ---------------------------------------------------------------------------------------------

TEST_F(Run, PrintsHelloWorldExactly) {
  auto r = lunatic({"run", guest("hello")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
}

TEST_F(Run, ShorthandWithoutTheRunCommandRunsTheModule) {
  auto r = lunatic({guest("hello")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
}

TEST_F(Run, PassesArgumentsWithTheProgramNameAsGivenFirst) {
  std::string module = guest("args_env");
  auto r = lunatic({"run", module, "one", "two words", "", "h\xC3\xA9llo"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "argc=5\n"
            "argv[0]=" +
                module +
                "\n"
                "argv[1]=one\n"
                "argv[2]=two words\n"
                "argv[3]=\n"
                "argv[4]=h\xC3\xA9llo\n"
                "environ=0\n"
                "getenv(FOO)=(null)\n")
      << describe(r);
}

TEST_F(Run, ProgramNameIsTheRelativePathAsGiven) {
  RunOptions opt;
  opt.cwd = GUESTS_DIR;
  auto r = lunatic({"run", "args_env.wasm", "x"}, opt);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(r.out, "argc=2\nargv[0]=args_env.wasm\nargv[1]=x\n")) << describe(r);
}

TEST_F(Run, ShorthandPassesArgumentsToo) {
  std::string module = guest("args_env");
  auto r = lunatic({module, "a", "b"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(r.out, "argc=3\nargv[0]=" + module + "\nargv[1]=a\nargv[2]=b\n"))
      << describe(r);
}

TEST_F(Run, OptionsAfterTheModuleBelongToTheGuest) {
  std::string module = guest("args_env");
  auto r = lunatic({"run", module, "--env", "FOO=bar", "--dir", "/", "--help", "-o", "x"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "argc=8\n"
            "argv[0]=" +
                module +
                "\n"
                "argv[1]=--env\n"
                "argv[2]=FOO=bar\n"
                "argv[3]=--dir\n"
                "argv[4]=/\n"
                "argv[5]=--help\n"
                "argv[6]=-o\n"
                "argv[7]=x\n"
                "environ=0\n"
                "getenv(FOO)=(null)\n")
      << describe(r);
}

TEST_F(Run, GuestSeesOnlyTheVariablesPassedWithEnv) {
  auto r = lunatic({"run", "--env", "FOO=bar", "--env", "EMPTY=", "--env", "WITH_EQUALS=a=b=c",
                    guest("args_env")});
  EXPECT_EXIT_CODE(r, 0);
  std::multiset<std::string> env;
  int count = -1;
  for (auto& line : lines_of(r.out)) {
    if (line.rfind("env[", 0) == 0) env.insert(line.substr(line.find("]=") + 2));
    if (line.rfind("environ=", 0) == 0) count = std::atoi(line.c_str() + 8);
  }
  EXPECT_EQ(count, 3) << describe(r);
  EXPECT_EQ(env, (std::multiset<std::string>{"FOO=bar", "EMPTY=", "WITH_EQUALS=a=b=c"}))
      << describe(r);
  EXPECT_TRUE(contains(r.out, "getenv(FOO)=bar\n")) << describe(r);
  EXPECT_FALSE(contains(r.out, "must-not-leak")) << describe(r);
  EXPECT_FALSE(contains(r.out, "from-the-host-environment")) << describe(r);
}

TEST_F(Run, EnvAndDirBeforeTheModuleTakeOneValueEach) {
  // Each --env and --dir takes exactly one value: the module and its arguments that follow
  // must not be swallowed as more values.
  std::string module = guest("args_env");
  auto r = lunatic({"run", "--env", "FOO=bar", "--dir", dir_.string(), module, "a", "b"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "argc=3\n"
            "argv[0]=" +
                module +
                "\n"
                "argv[1]=a\n"
                "argv[2]=b\n"
                "environ=1\n"
                "env[0]=FOO=bar\n"
                "getenv(FOO)=bar\n")
      << describe(r);
  auto shorthand_like = lunatic({"run", "--dir", dir_.string(), "--env", "FOO=bar", module, "c"});
  EXPECT_EXIT_CODE(shorthand_like, 0);
  EXPECT_TRUE(contains(shorthand_like.out, "argc=2\nargv[0]=" + module + "\nargv[1]=c\n"))
      << describe(shorthand_like);
}

TEST_F(Run, WithoutEnvTheGuestEnvironmentIsEmpty) {
  auto r = lunatic({"run", guest("args_env")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_TRUE(contains(r.out, "environ=0\ngetenv(FOO)=(null)\n")) << describe(r);
  EXPECT_FALSE(contains(r.out, "PATH=")) << describe(r);
}

TEST_F(Run, ExitsWithMainsReturnValue) {
  for (int code : {0, 3, 255}) {
    SCOPED_TRACE("code " + std::to_string(code));
    auto r = lunatic({"run", guest("exit_code"), "return", std::to_string(code)});
    EXPECT_EXIT_CODE(r, code);
    EXPECT_EQ(r.out, "leaving with " + std::to_string(code) + " via return\n") << describe(r);
  }
}

TEST_F(Run, ExitsWithTheGuestsProcExitCode) {
  for (int code : {0, 3, 255}) {
    SCOPED_TRACE("code " + std::to_string(code));
    auto r = lunatic({"run", guest("exit_code"), "exit", std::to_string(code)});
    EXPECT_EXIT_CODE(r, code);
    EXPECT_EQ(r.out, "leaving with " + std::to_string(code) + " via exit\n") << describe(r);
  }
}

TEST_F(Run, ShorthandExitsWithTheGuestsCodeToo) {
  auto r = lunatic({guest("exit_code"), "exit", "3"});
  EXPECT_EXIT_CODE(r, 3);
}

TEST_F(Run, CopiesPipedStdinToTheGuest) {
  // 300 KiB of every byte value, more than a pipe holds, so reading and writing must interleave.
  std::string data;
  data.reserve(300 * 1024);
  std::uint32_t x = 12345;
  while (data.size() < 300 * 1024) {
    x = x * 1103515245u + 12345u;
    data.push_back(static_cast<char>(x >> 16));
  }
  RunOptions opt;
  opt.stdin_data = data;
  auto r = lunatic({"run", guest("stdin_echo")}, opt);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out.size(), data.size()) << describe(r);
  EXPECT_TRUE(r.out == data) << "stdout differs from stdin";
  EXPECT_TRUE(contains(r.err, "stdin_echo: 307200 bytes\n")) << describe(r);
}

TEST_F(Run, EmptyStdinReadsAsEndOfFile) {
  auto r = lunatic({"run", guest("stdin_echo")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "") << describe(r);
  EXPECT_TRUE(contains(r.err, "stdin_echo: 0 bytes\n")) << describe(r);
}

TEST_F(Run, ANonExistentModuleIsRefusedAndNamed) {
  std::string missing = (dir_ / "no-such-module.wasm").string();
  auto r = lunatic({"run", missing});
  expect_refusal(r);
  EXPECT_TRUE(contains(r.err, missing)) << describe(r);
}

TEST_F(Run, ShorthandWithANonExistentModuleIsRefusedAndNamed) {
  std::string missing = (dir_ / "no-such-module.wasm").string();
  auto r = lunatic({missing});
  expect_refusal(r);
  EXPECT_TRUE(contains(r.err, missing)) << describe(r);
}

// ---------------------------------------------------------------------------------------------
// WASI: files inside preopens, escapes, clocks
// ---------------------------------------------------------------------------------------------

const std::string kFsOpsExpected =
    "ok read a file the host wrote\n"
    "ok mkdir sub\n"
    "ok stat sub is a directory\n"
    "ok create sub/a.txt\n"
    "ok write 11 bytes\n"
    "ok close after write\n"
    "ok O_EXCL on an existing file fails with EEXIST\n"
    "ok open sub/a.txt read-write\n"
    "ok read it back\n"
    "ok seek to 6\n"
    "ok read 4 bytes at 6\n"
    "ok seek to the end\n"
    "ok append 5 bytes\n"
    "ok seek back 5 from the end\n"
    "ok read the appended bytes\n"
    "ok fstat: regular, 16 bytes\n"
    "ok close after read\n"
    "ok stat: 16 bytes\n"
    "ok rename a.txt to b.txt\n"
    "ok a.txt is gone\n"
    "ok b.txt has the content\n"
    "ok symlink link -> b.txt\n"
    "ok readlink gives b.txt\n"
    "ok lstat sees a symlink\n"
    "ok open through the symlink\n"
    "ok readdir sub lists b.txt and link\n"
    "ok write out.txt\n"
    "ok unlink link\n"
    "ok unlink b.txt\n"
    "ok sub is empty\n"
    "ok rmdir sub\n"
    "ok sub is gone\n"
    "ok mkdir keepdir\n"
    "done\n";

void expect_fs_ops_effects(const fs::path& box) {
  EXPECT_EQ(read_file(box / "input.txt"), "from the host\n");
  EXPECT_EQ(read_file(box / "out.txt"), "written by the guest\n");
  EXPECT_TRUE(fs::is_directory(box / "keepdir"));
  EXPECT_FALSE(fs::exists(fs::symlink_status(box / "sub")));
  std::set<std::string> names;
  for (auto& e : fs::directory_iterator(box)) names.insert(e.path().filename().string());
  EXPECT_EQ(names, (std::set<std::string>{"input.txt", "out.txt", "keepdir"}));
}

TEST_F(Wasi, FileOperationsWorkInsideAPreopenMappedToAGuestPath) {
  fs::path box = dir_ / "box";
  fs::create_directories(box);
  write_file(box / "input.txt", "from the host\n");
  auto r = lunatic({"run", "--dir", box.string() + ":/data", guest("fs_ops"), "/data"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, kFsOpsExpected) << describe(r);
  expect_fs_ops_effects(box);
}

TEST_F(Wasi, FileOperationsWorkInsideAPreopenUnderItsHostPath) {
  fs::path box = dir_ / "box";
  fs::create_directories(box);
  write_file(box / "input.txt", "from the host\n");
  auto r = lunatic({"run", "--dir", box.string(), guest("fs_ops"), box.string()});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, kFsOpsExpected) << describe(r);
  expect_fs_ops_effects(box);
}

TEST_F(Wasi, FileOperationsWorkInTheSecondOfTwoPreopens) {
  fs::path first = dir_ / "first";
  fs::path box = dir_ / "box";
  fs::create_directories(first);
  fs::create_directories(box);
  write_file(box / "input.txt", "from the host\n");
  auto r = lunatic({"run", "--dir", first.string() + ":/first", "--dir", box.string() + ":/data",
                    guest("fs_ops"), "/data"});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, kFsOpsExpected) << describe(r);
  expect_fs_ops_effects(box);
  EXPECT_TRUE(fs::is_empty(first));
}

TEST_F(Wasi, ANonExistentPreopenDirectoryIsRefusedAndNamed) {
  std::string missing = (dir_ / "no-such-dir").string();
  auto r = lunatic({"run", "--dir", missing + ":/data", guest("hello")});
  expect_refusal_after_compile(r);
  EXPECT_TRUE(contains(r.err, missing)) << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
}

// Lays out the escape playground of fs_escape.c under `root`; returns the preopen.
fs::path make_escape_playground(const fs::path& root) {
  fs::path box = root / "box";
  fs::create_directories(box / "sub");
  write_file(root / "secret.txt", "TOPSECRET\n");
  write_file(box / "inside.txt", "inside\n");
  fs::create_symlink(root / "secret.txt", box / "abs_link");
  fs::create_symlink("../secret.txt", box / "rel_link");
  fs::create_directory_symlink(root, box / "dir_link");
  fs::create_symlink("../../secret.txt", box / "sub" / "up_link");
  return box;
}

// Every attempt to leave the preopen is denied with ENOTCAPABLE, and nothing outside changed.
void expect_escapes_denied(const RunResult& r, const fs::path& root) {
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_FALSE(contains(r.out, "TOPSECRET")) << "the guest read the outside file" << describe(r);
  EXPECT_TRUE(contains(r.out, "\ndone\n")) << describe(r);
  auto kv = key_values(r.out);
  const char* must_be_enotcapable[] = {
      "open ../secret.txt",
      "open sub/../../secret.txt",
      "open /etc/passwd",
      "open the outside file by its host path",
      "open abs_link",
      "open rel_link",
      "open dir_link/secret.txt",
      "open sub/up_link",
      "write through rel_link",
      "stat ../secret.txt",
      "opendir ..",
      "create ../created.txt",
      "mkdir ../newdir",
      "unlink ../secret.txt",
      "rename inside.txt to ../moved.txt",
      "rename ../secret.txt to stolen.txt",
      "link inside.txt to ../linked.txt",
      "link ../secret.txt to hardlink.txt",
  };
  for (const char* attempt : must_be_enotcapable) {
    EXPECT_EQ(kv[attempt], "denied (errno 76)") << "attempt: " << attempt << describe(r);
  }
  // Making a symlink that points out may be allowed or refused; following it must be denied.
  for (const char* attempt : {"open made_abs_link", "open made_rel_link"}) {
    EXPECT_EQ(kv[attempt].rfind("denied", 0), 0u) << "attempt: " << attempt << describe(r);
  }

  // On the host: nothing outside the preopen was created, moved, changed or removed.
  EXPECT_EQ(read_file(root / "secret.txt"), "TOPSECRET\n");
  std::set<std::string> outside;
  for (auto& e : fs::directory_iterator(root)) outside.insert(e.path().filename().string());
  EXPECT_EQ(outside, (std::set<std::string>{"box", "secret.txt"}));
  fs::path box = root / "box";
  EXPECT_EQ(read_file(box / "inside.txt"), "inside\n");
  EXPECT_FALSE(fs::exists(fs::symlink_status(box / "stolen.txt")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(box / "hardlink.txt")));
  std::error_code ec;
  EXPECT_EQ(fs::hard_link_count(root / "secret.txt", ec), 1u);
  EXPECT_EQ(fs::hard_link_count(box / "inside.txt", ec), 1u);
}

TEST_F(Wasi, EscapesFromAPreopenMappedToAGuestPathAreDenied) {
  fs::path root = dir_ / "root";
  fs::path box = make_escape_playground(root);
  auto r = lunatic({"run", "--dir", box.string() + ":/data", guest("fs_escape"), "/data",
                    (root / "secret.txt").string()});
  expect_escapes_denied(r, root);
}

TEST_F(Wasi, EscapesFromAPreopenUnderItsHostPathAreDenied) {
  fs::path root = dir_ / "root";
  fs::path box = make_escape_playground(root);
  auto r = lunatic({"run", "--dir", box.string(), guest("fs_escape"), box.string(),
                    (root / "secret.txt").string()});
  expect_escapes_denied(r, root);
}

TEST_F(Wasi, DotDotThatStaysInsideThePreopenIsAllowed) {
  fs::path root = dir_ / "root";
  fs::path box = make_escape_playground(root);
  auto r = lunatic({"run", "--dir", box.string() + ":/data", guest("fs_escape"), "/data",
                    (root / "secret.txt").string()});
  EXPECT_EXIT_CODE(r, 0);
  auto kv = key_values(r.out);
  EXPECT_EQ(kv["inside open inside.txt"], "ALLOWED read 'inside'") << describe(r);
  EXPECT_EQ(kv["inside open sub/../inside.txt"], "ALLOWED read 'inside'") << describe(r);
}

TEST_F(Wasi, WithoutDirTheGuestSeesNoFiles) {
  fs::path root = dir_ / "root";
  fs::path box = make_escape_playground(root);
  // The guest is told about the directory, but it was not preopened.
  auto r = lunatic({"run", guest("fs_escape"), box.string(), (root / "secret.txt").string()});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_FALSE(contains(r.out, "ALLOWED")) << describe(r);
  EXPECT_FALSE(contains(r.out, "created\n")) << describe(r);
  EXPECT_EQ(key_values(r.out)["inside open inside.txt"], "denied (errno 76)") << describe(r);
  EXPECT_EQ(key_values(r.out)["open /etc/passwd"], "denied (errno 76)") << describe(r);
  std::set<std::string> names;
  for (auto& e : fs::directory_iterator(box)) names.insert(e.path().filename().string());
  EXPECT_EQ(names,
            (std::set<std::string>{"abs_link", "dir_link", "inside.txt", "rel_link", "sub"}));
}

TEST_F(Wasi, MonotonicClockSleepAndEntropyWork) {
  auto r = lunatic({"run", guest("clock_sleep")});
  EXPECT_EXIT_CODE(r, 0);
  auto kv = key_values(r.out);
  EXPECT_EQ(kv["monotonic"], "ok") << describe(r);
  EXPECT_EQ(kv["slept at least 10 ms"], "ok") << describe(r);
  EXPECT_EQ(kv["getentropy"], "ok") << describe(r);
  auto line = line_containing(r.out, "realtime=");
  ASSERT_TRUE(line.has_value()) << describe(r);
  long long guest_now = std::atoll(line->c_str() + 9);
  long long host_now = static_cast<long long>(std::time(nullptr));
  EXPECT_LE(std::llabs(host_now - guest_now), 300) << "CLOCK_REALTIME is off: " << *line;
}

// ---------------------------------------------------------------------------------------------
// Traps
// ---------------------------------------------------------------------------------------------

TEST_F(Traps, UnreachableTrapsWithExitCode134AndNamesTheFunction) {
  auto r = lunatic({"run", guest("trap_unreachable")});
  expect_trap(r, "unreachable executed");
  auto line = line_containing(r.err, "trap:").value_or("");
  auto at = line.find("in function");
  ASSERT_NE(at, std::string::npos) << "the trap line names no function: " << line;
  EXPECT_TRUE(contains(line.substr(at), "trap_here_please")) << "wrong function: " << line;
}

TEST_F(Traps, EveryTrapLineNamesTheFunctionThatTrapped) {
  // Each of these guest functions holds the trapping instruction itself (checked with
  // wasm-objdump; the C ones are noinline, the .wat ones cannot be inlined at the wasm level), so
  // a report naming its caller is wrong.
  const std::pair<const char*, const char*> cases[] = {
      {"trap_div_zero", "divide_by_zero_here"},
      {"trap_overflow", "overflow_here"},
      {"trap_oob", "load_out_of_bounds"},
      {"trap_conversion", "convert_nan_here"},
      {"trap_float_overflow", "truncate_too_big_here"},
      {"trap_stack", "recurse_forever"},
      {"trap_indirect", "__original_main"},
  };
  for (const auto& [module, function] : cases) {
    SCOPED_TRACE(module);
    auto r = lunatic({"run", guest(module)});
    EXPECT_EXIT_CODE(r, 134);
    auto line = line_containing(r.err, "trap:").value_or("");
    auto at = line.find("in function");
    EXPECT_NE(at, std::string::npos) << "the trap line names no function" << describe(r);
    if (at != std::string::npos) {
      EXPECT_TRUE(contains(line.substr(at), function))
          << "expected function " << function << ", got: " << line;
    }
  }
}

TEST_F(Traps, OutputWrittenBeforeATrapIsKept) {
  auto r = lunatic({"run", guest("trap_unreachable")});
  expect_trap(r, "unreachable executed");
  EXPECT_EQ(r.out, "about to trap\n") << describe(r);
}

TEST_F(Traps, IntegerDivisionByZeroTraps) {
  auto r = lunatic({"run", guest("trap_div_zero")});
  expect_trap(r, "integer divide by zero");
  EXPECT_EQ(r.out, "") << describe(r);
}

TEST_F(Traps, SignedDivisionOverflowTraps) {
  auto r = lunatic({"run", guest("trap_overflow")});
  expect_trap(r, "integer overflow");
  EXPECT_EQ(r.out, "") << describe(r);
}

TEST_F(Traps, FloatTruncationOutOfRangeTrapsAsIntegerOverflow) {
  auto r = lunatic({"run", guest("trap_float_overflow")});
  expect_trap(r, "integer overflow");
}

TEST_F(Traps, TruncatingANanTrapsAsInvalidConversion) {
  auto r = lunatic({"run", guest("trap_conversion")});
  expect_trap(r, "invalid conversion to integer");
}

TEST_F(Traps, LoadBeyondTheEndOfMemoryTraps) {
  auto r = lunatic({"run", guest("trap_oob")});
  expect_trap(r, "out of bounds memory access");
  EXPECT_TRUE(contains(r.out, "memory pages ")) << describe(r);
  EXPECT_FALSE(contains(r.out, "loaded")) << describe(r);
}

TEST_F(Traps, CallThroughAPointerOfTheWrongTypeTraps) {
  auto r = lunatic({"run", guest("trap_indirect")});
  expect_trap(r, "indirect call type mismatch");
  EXPECT_EQ(r.out, "") << describe(r);
}

TEST_F(Traps, UnboundedRecursionExhaustsTheCallStackWithoutCrashing) {
  auto r = lunatic({"run", guest("trap_stack")});
  expect_trap(r, "call stack exhausted");
  EXPECT_EQ(r.out, "recursing\n") << describe(r);
}

TEST_F(Traps, ATrapFromACachedArtifactIsReportedTheSameWay) {
  for (const char* which : {"cold", "warm"}) {
    SCOPED_TRACE(which);
    auto r = lunatic({"run", guest("trap_unreachable")});
    expect_trap(r, "unreachable executed");
    EXPECT_TRUE(contains(line_containing(r.err, "trap:").value_or(""), "trap_here_please"))
        << describe(r);
    auto stack = lunatic({"run", guest("trap_stack")});
    expect_trap(stack, "call stack exhausted");
  }
}

// ---------------------------------------------------------------------------------------------
// Modules that must be refused
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Imports the host lacks
// ---------------------------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// Memory
// ---------------------------------------------------------------------------------------------

TEST_F(Memory, GrowsUpToTheDeclaredMaximumAndNoFurther) {
  auto r = lunatic({"run", guest("memory_grow")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "size=16 pages\n"
            "last byte=ok\n"
            "grow past max=-1\n"
            "grow by 65536 pages=-1\n"
            "size after=16 pages\n"
            "grew at least once\n")
      << describe(r);
}

TEST_F(Memory, MallocOfOneGibibyteInChunksWorks) {
  auto r = lunatic({"run", guest("malloc_big")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "allocated 1024 MiB, memory is over 16384 pages\n") << describe(r);
}

// The runtime may offer a choice of linear-memory modes (`run --memory-mode guard|bounds`, guard
// pages or explicit bounds checks). Where it does, memory behaviour must not depend on the mode.
std::vector<std::string> memory_modes() {
  auto help = run_command({LUNATIC_BIN, "run", "--help"});
  if (!contains(help.out, "--memory-mode")) return {};
  return {"guard", "bounds", "auto"};
}

TEST_F(MemoryModes, OutOfBoundsLoadTrapsInEveryMode) {
  auto modes = memory_modes();
  if (modes.empty()) GTEST_SKIP() << "run has no --memory-mode";
  for (auto& mode : modes) {
    SCOPED_TRACE("--memory-mode " + mode);
    expect_trap(lunatic({"run", "--memory-mode", mode, guest("trap_oob")}),
                "out of bounds memory access");
  }
}

TEST_F(MemoryModes, GrowingToTheMaximumWorksInEveryMode) {
  auto modes = memory_modes();
  if (modes.empty()) GTEST_SKIP() << "run has no --memory-mode";
  for (auto& mode : modes) {
    SCOPED_TRACE("--memory-mode " + mode);
    auto r = lunatic({"run", "--memory-mode", mode, guest("memory_grow")});
    EXPECT_EXIT_CODE(r, 0);
    EXPECT_TRUE(contains(r.out, "size=16 pages\nlast byte=ok\ngrow past max=-1\n")) << describe(r);
  }
}

TEST_F(MemoryModes, MallocOfOneGibibyteWorksInEveryMode) {
  auto modes = memory_modes();
  if (modes.empty()) GTEST_SKIP() << "run has no --memory-mode";
  for (auto& mode : modes) {
    SCOPED_TRACE("--memory-mode " + mode);
    auto r = lunatic({"run", "--memory-mode", mode, guest("malloc_big")});
    EXPECT_EXIT_CODE(r, 0);
    EXPECT_EQ(r.out, "allocated 1024 MiB, memory is over 16384 pages\n") << describe(r);
  }
}

TEST_F(MemoryModes, StackExhaustionTrapsInEveryMode) {
  auto modes = memory_modes();
  if (modes.empty()) GTEST_SKIP() << "run has no --memory-mode";
  for (auto& mode : modes) {
    SCOPED_TRACE("--memory-mode " + mode);
    expect_trap(lunatic({"run", "--memory-mode", mode, guest("trap_stack")}),
                "call stack exhausted");
  }
}

// ---------------------------------------------------------------------------------------------
// Preemption instrumentation does not change results
// ---------------------------------------------------------------------------------------------

TEST_F(Preemption, ComputeBoundGuestPrintsTheSameChecksumAsTheNativeBuild) {
  auto native = run_command({COMPUTE_NATIVE});
  EXPECT_EXIT_CODE(native, 0);
  ASSERT_TRUE(contains(native.out, "checksum=")) << describe(native);
  auto r = lunatic({"run", guest("compute")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, native.out) << describe(r);
}

// ---------------------------------------------------------------------------------------------
// The artifact cache
// ---------------------------------------------------------------------------------------------

TEST_F(Cache, AColdRunMissesAndStoresAnArtifactThatTheNextRunHits) {
  auto cold = lunatic({"run", "--timings", guest("hello")});
  EXPECT_EXIT_CODE(cold, 0);
  EXPECT_EQ(cold.out, "Hello, world!\n") << describe(cold);
  EXPECT_EQ(cache_state(cold), "miss");
  EXPECT_FALSE(artifacts_under(cache_ / "lunatic").empty())
      << "no .lart under " << cache_ / "lunatic";

  auto warm = lunatic({"run", "--timings", guest("hello")});
  EXPECT_EXIT_CODE(warm, 0);
  EXPECT_EQ(warm.out, "Hello, world!\n") << describe(warm);
  EXPECT_EQ(cache_state(warm), "hit");
}

TEST_F(Cache, TheDefaultAutoModeCachesBothVariantsFromOneColdRun) {
  auto cold = lunatic({"run", "--timings", guest("hello")});
  EXPECT_EXIT_CODE(cold, 0);
  EXPECT_EQ(cache_state(cold), "miss");
  auto arts = artifacts_under(cache_ / "lunatic");
  ASSERT_EQ(arts.size(), 2u) << "expected a guard and a bounds artifact";
  std::vector<std::string> modes;
  for (auto& a : arts) {
    std::string bytes = read_file(a);
    modes.push_back(contains(bytes, "\"memory_mode\":\"guard\"") ? "guard" : "bounds");
  }
  std::sort(modes.begin(), modes.end());
  EXPECT_EQ(modes, (std::vector<std::string>{"bounds", "guard"}));
  for (const char* mode : {"guard", "bounds", "auto"}) {
    auto warm = lunatic({"run", "--timings", "--memory-mode", mode, guest("hello")});
    EXPECT_EXIT_CODE(warm, 0);
    EXPECT_EQ(cache_state(warm), "hit") << mode;
  }
}

TEST_F(Cache, TimingsAreOneJsonLineWithAllFields) {
  auto r = lunatic({"run", "--timings", guest("hello")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
  auto j = timings_of(r);
  for (const char* field : {"compile_ms", "load_ms", "instantiate_ms", "run_ms", "total_ms"}) {
    ASSERT_TRUE(j.contains(field)) << "no \"" << field << "\" in " << j.dump();
    ASSERT_TRUE(j[field].is_number()) << "\"" << field << "\" is not a number in " << j.dump();
    EXPECT_GE(j[field].get<double>(), 0.0) << field;
  }
  EXPECT_GE(j["total_ms"].get<double>(), j["run_ms"].get<double>());
  EXPECT_GT(j["compile_ms"].get<double>(), 0.0) << "a cold run compiles";
  EXPECT_LE(j["total_ms"].get<double>(), r.seconds * 1000.0 + 1.0)
      << "total is longer than the process lived";
}

TEST_F(Cache, WithoutTimingsNoTimingsLineIsPrinted) {
  auto r = lunatic({"run", guest("hello")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_FALSE(contains(r.err, "lunatic-timings")) << describe(r);
}

TEST_F(Cache, DifferentModulesGetDifferentArtifacts) {
  EXPECT_EXIT_CODE(lunatic({"run", guest("hello")}), 0);
  auto after_one = artifacts_under(cache_ / "lunatic");
  EXPECT_EXIT_CODE(lunatic({"run", guest("exit_code"), "return", "0"}), 0);
  auto after_two = artifacts_under(cache_ / "lunatic");
  EXPECT_GT(after_two.size(), after_one.size());
  auto hello = lunatic({"run", "--timings", guest("hello")});
  EXPECT_EQ(hello.out, "Hello, world!\n") << describe(hello);
  EXPECT_EQ(cache_state(hello), "hit");
  auto exit3 = lunatic({"run", "--timings", guest("exit_code"), "return", "3"});
  EXPECT_EXIT_CODE(exit3, 3);
  EXPECT_EQ(cache_state(exit3), "hit");
}

TEST_F(Cache, ACopyOfAModuleUnderAnotherNameHitsTheSameArtifact) {
  fs::path copy = dir_ / "renamed.wasm";
  fs::copy_file(guest("hello"), copy);
  EXPECT_EXIT_CODE(lunatic({"run", guest("hello")}), 0);
  auto r = lunatic({"run", "--timings", copy.string()});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
  EXPECT_EQ(cache_state(r), "hit");
}

TEST_F(Cache, AChangedModuleAtTheSamePathIsRecompiled) {
  fs::path app = dir_ / "app.wasm";
  fs::copy_file(guest("hello"), app);
  EXPECT_EXIT_CODE(lunatic({"run", app.string()}), 0);
  fs::copy_file(guest("exit_code"), app, fs::copy_options::overwrite_existing);
  auto r = lunatic({"run", "--timings", app.string(), "exit", "3"});
  EXPECT_EXIT_CODE(r, 3);
  EXPECT_EQ(r.out, "leaving with 3 via exit\n") << describe(r);
  EXPECT_EQ(cache_state(r), "miss");
}

TEST_F(Cache, UsesHomeDotCacheWhenXdgCacheHomeIsUnset) {
  RunOptions opt;
  opt.env["XDG_CACHE_HOME"] = std::nullopt;
  auto r = lunatic({"run", guest("hello")}, opt);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_FALSE(artifacts_under(home_ / ".cache" / "lunatic").empty())
      << "no .lart under ~/.cache/lunatic";
  EXPECT_TRUE(artifacts_under(cache_).empty());
}

TEST_F(Cache, FlippedBytesInACachedArtifactAreDetectedAndRebuilt) {
  EXPECT_EXIT_CODE(lunatic({"run", guest("hello")}), 0);
  auto arts = artifacts_under(cache_ / "lunatic");
  ASSERT_FALSE(arts.empty());
  for (auto& a : arts) {
    std::string bytes = read_file(a);
    ASSERT_GT(bytes.size(), 256u);
    for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 64; ++i)
      bytes[i] = static_cast<char>(bytes[i] ^ 0xFF);
    write_file(a, bytes);
  }
  auto r = lunatic({"run", "--timings", guest("hello")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
  EXPECT_EQ(cache_state(r), "miss");
  EXPECT_TRUE(contains(r.err, "damaged")) << "no warning about the damaged artifact" << describe(r);

  auto again = lunatic({"run", "--timings", guest("hello")});
  EXPECT_EXIT_CODE(again, 0);
  EXPECT_EQ(again.out, "Hello, world!\n") << describe(again);
  EXPECT_EQ(cache_state(again), "hit");
  EXPECT_FALSE(contains(again.err, "damaged")) << describe(again);
}

TEST_F(Cache, ATruncatedCachedArtifactIsDetectedAndRebuilt) {
  EXPECT_EXIT_CODE(lunatic({"run", guest("hello")}), 0);
  for (int round = 0; round < 2; ++round) {
    SCOPED_TRACE(round == 0 ? "truncated to half" : "truncated to zero bytes");
    auto arts = artifacts_under(cache_ / "lunatic");
    ASSERT_FALSE(arts.empty());
    for (auto& a : arts) fs::resize_file(a, round == 0 ? fs::file_size(a) / 2 : 0);
    auto r = lunatic({"run", "--timings", guest("hello")});
    EXPECT_EXIT_CODE(r, 0);
    EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
    EXPECT_EQ(cache_state(r), "miss");
    EXPECT_TRUE(contains(r.err, "damaged"))
        << "no warning about the damaged artifact" << describe(r);
  }
  auto again = lunatic({"run", "--timings", guest("hello")});
  EXPECT_EQ(again.out, "Hello, world!\n") << describe(again);
  EXPECT_EQ(cache_state(again), "hit");
}

TEST_F(Cache, AnotherModulesArtifactInTheCacheSlotIsDetectedAndRebuilt) {
  // Cache exit_code, keep its artifact, then cache hello and put exit_code's artifact in its
  // place: running hello must not run exit_code. One memory mode, so one artifact per module.
  EXPECT_EXIT_CODE(lunatic({"run", "--memory-mode", "guard", guest("exit_code"), "return", "0"}),
                   0);
  auto first = artifacts_under(cache_ / "lunatic");
  ASSERT_EQ(first.size(), 1u);
  std::string other = read_file(first.front());
  EXPECT_EXIT_CODE(lunatic({"run", "--memory-mode", "guard", guest("hello")}), 0);
  auto both = artifacts_under(cache_ / "lunatic");
  ASSERT_EQ(both.size(), 2u);
  fs::path hello_art = both[0] == first.front() ? both[1] : both[0];
  write_file(hello_art, other);

  auto r = lunatic({"run", "--memory-mode", "guard", "--timings", guest("hello")});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
  EXPECT_EQ(cache_state(r), "miss");
  EXPECT_TRUE(contains(r.err, "damaged")) << "no warning about the wrong artifact" << describe(r);
}

TEST_F(Cache, TwoConcurrentColdRunsOfOneModuleBothSucceed) {
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    fs::path cache = dir_ / ("shared-cache-" + std::to_string(round));
    RunOptions opt;
    opt.env["XDG_CACHE_HOME"] = cache.string();
    RunResult a, b;
    std::thread ta([&] {
      a = lunatic({"run", "--timings", guest("exit_code"), "exit", "3"}, opt);
    });
    std::thread tb([&] {
      b = lunatic({"run", "--timings", guest("exit_code"), "exit", "3"}, opt);
    });
    ta.join();
    tb.join();
    for (const RunResult* r : {&a, &b}) {
      EXPECT_EXIT_CODE(*r, 3);
      EXPECT_EQ(r->out, "leaving with 3 via exit\n") << describe(*r);
      auto state = cache_state(*r);
      EXPECT_TRUE(state == "miss" || state == "hit") << state;
      EXPECT_FALSE(contains(r->err, "damaged")) << describe(*r);
    }
    auto after = lunatic({"run", "--timings", guest("exit_code"), "exit", "3"}, opt);
    EXPECT_EXIT_CODE(after, 3);
    EXPECT_EQ(cache_state(after), "hit");
    EXPECT_FALSE(contains(after.err, "damaged")) << describe(after);
  }
}

// ---------------------------------------------------------------------------------------------
// lunatic compile: ahead-of-time artifacts
// ---------------------------------------------------------------------------------------------

TEST_F(Compile, ACompiledArtifactRunsAnywhereWithoutTheWasm) {
  fs::path wasm = dir_ / "args_env.wasm";
  fs::copy_file(guest("args_env"), wasm);
  fs::path out = dir_ / "out.lart";
  auto c = lunatic({"compile", wasm.string(), "-o", out.string()});
  EXPECT_EXIT_CODE(c, 0);
  EXPECT_EQ(c.out, "") << "compile must not run the program" << describe(c);
  ASSERT_TRUE(fs::is_regular_file(out));
  EXPECT_GT(fs::file_size(out), 0u);

  // Run it from elsewhere, with an empty cache, the wasm gone.
  fs::remove(wasm);
  fs::path moved = dir_ / "elsewhere" / "app.lart";
  fs::create_directories(moved.parent_path());
  fs::rename(out, moved);
  RunOptions opt;
  opt.env["XDG_CACHE_HOME"] = (dir_ / "other-cache").string();
  auto r = lunatic({"run", "--timings", "--env", "FOO=bar", moved.string(), "x", "y z"}, opt);
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out,
            "argc=3\n"
            "argv[0]=" +
                moved.string() +
                "\n"
                "argv[1]=x\n"
                "argv[2]=y z\n"
                "environ=1\n"
                "env[0]=FOO=bar\n"
                "getenv(FOO)=bar\n")
      << describe(r);
  EXPECT_EQ(cache_state(r), "file");
}

TEST_F(Compile, AnArtifactFileHoldsTheGuardVariantUnlessBoundsIsAskedFor) {
  fs::path guard = dir_ / "guard.lart";
  fs::path bounds = dir_ / "bounds.lart";
  EXPECT_EXIT_CODE(lunatic({"compile", guest("hello"), "-o", guard.string()}), 0);
  EXPECT_EXIT_CODE(
      lunatic({"compile", "--memory-mode", "bounds", guest("hello"), "-o", bounds.string()}), 0);
  EXPECT_TRUE(contains(read_file(guard), "\"memory_mode\":\"guard\""));
  EXPECT_TRUE(contains(read_file(bounds), "\"memory_mode\":\"bounds\""));
  for (const fs::path& artifact : {guard, bounds}) {
    auto r = lunatic({"run", artifact.string()});
    EXPECT_EXIT_CODE(r, 0);
    EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
  }
}

TEST_F(Compile, ShorthandRunsACompiledArtifact) {
  fs::path out = dir_ / "hello.lart";
  EXPECT_EXIT_CODE(lunatic({"compile", guest("hello"), "-o", out.string()}), 0);
  auto r = lunatic({out.string()});
  EXPECT_EXIT_CODE(r, 0);
  EXPECT_EQ(r.out, "Hello, world!\n") << describe(r);
}

TEST_F(Compile, ACompiledArtifactKeepsTrapsAndExitCodes) {
  fs::path trap = dir_ / "trap.lart";
  fs::path exit = dir_ / "exit.lart";
  EXPECT_EXIT_CODE(lunatic({"compile", guest("trap_unreachable"), "-o", trap.string()}), 0);
  EXPECT_EXIT_CODE(lunatic({"compile", guest("exit_code"), "-o", exit.string()}), 0);
  expect_trap(lunatic({"run", trap.string()}), "unreachable executed");
  auto r = lunatic({"run", exit.string(), "exit", "255"});
  EXPECT_EXIT_CODE(r, 255);
}

TEST_F(Compile, ACorruptedArtifactFileIsRefusedAsDamaged) {
  fs::path out = dir_ / "hello.lart";
  EXPECT_EXIT_CODE(lunatic({"compile", guest("hello"), "-o", out.string()}), 0);
  std::string bytes = read_file(out);
  ASSERT_GT(bytes.size(), 256u);
  for (size_t i = bytes.size() / 2; i < bytes.size() / 2 + 64; ++i)
    bytes[i] = static_cast<char>(bytes[i] ^ 0xFF);
  write_file(out, bytes);
  auto r = lunatic({"run", out.string()});
  expect_refusal(r);
  EXPECT_TRUE(contains(r.err, "damaged")) << describe(r);
  EXPECT_EQ(r.out, "") << describe(r);
}

TEST_F(Compile, ATruncatedArtifactFileIsRefusedAsDamaged) {
  fs::path out = dir_ / "hello.lart";
  EXPECT_EXIT_CODE(lunatic({"compile", guest("hello"), "-o", out.string()}), 0);
  for (auto size : {fs::file_size(out) / 2, std::uintmax_t{10}}) {
    SCOPED_TRACE("truncated to " + std::to_string(size));
    fs::resize_file(out, size);
    auto r = lunatic({"run", out.string()});
    expect_refusal(r);
    EXPECT_TRUE(contains(r.err, "damaged")) << describe(r);
  }
}

TEST_F(Compile, CompilingANonExistentFileFailsAndNamesIt) {
  std::string missing = (dir_ / "no-such-module.wasm").string();
  fs::path out = dir_ / "out.lart";
  auto r = lunatic({"compile", missing, "-o", out.string()});
  expect_refusal(r);
  EXPECT_TRUE(contains(r.err, missing)) << describe(r);
  EXPECT_FALSE(fs::exists(out));
}

TEST_F(Compile, RunningANonExistentArtifactFailsAndNamesIt) {
  std::string missing = (dir_ / "no-such-artifact.lart").string();
  auto r = lunatic({"run", missing});
  expect_refusal(r);
  EXPECT_TRUE(contains(r.err, missing)) << describe(r);
}

}  // namespace
