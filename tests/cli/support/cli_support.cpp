// The shared helpers of the CLI tests; see cli_support.hpp.
#include "support/cli_support.hpp"

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
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <thread>
#include <tuple>
#include <utility>

extern char** environ;

namespace cli_test {

namespace {

// A write to a child that has already exited must not kill the test with SIGPIPE.
const bool sigpipe_ignored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

}  // namespace

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

std::vector<std::string> child_environment(const RunOptions& opt) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view kv(*e);
    std::string key(kv.substr(0, kv.find('=')));
    if (opt.env.count(key) == 0) env_strings.emplace_back(kv);
  }
  for (const auto& [k, v] : opt.env) {
    if (v) env_strings.push_back(k + "=" + *v);
  }
  return env_strings;
}

RunResult run_command(const std::vector<std::string>& argv, const RunOptions& opt) {
  RunResult r;
  for (const auto& a : argv) r.command += (r.command.empty() ? "" : " ") + a;

  // Everything the child needs is prepared before fork: after it only async-signal-safe calls.
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  std::vector<std::string> env_strings = child_environment(opt);
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

std::string example(std::string_view name) {
  return (fs::path(EXAMPLES_DIR) / (std::string(name) + ".wasm")).string();
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

bool has_line(std::string_view text, std::string_view line) {
  for (auto& l : lines_of(text)) {
    if (l == line) return true;
  }
  return false;
}

size_t count_lines_starting(std::string_view text, std::string_view prefix) {
  size_t n = 0;
  for (auto& l : lines_of(text)) n += l.rfind(prefix, 0) == 0;
  return n;
}

std::optional<std::uint64_t> number_after(std::string_view text, std::string_view prefix) {
  for (auto& l : lines_of(text)) {
    if (l.rfind(prefix, 0) != 0) continue;
    std::string rest = l.substr(prefix.size());
    if (rest.empty() || !std::isdigit(static_cast<unsigned char>(rest[0]))) return std::nullopt;
    return std::strtoull(rest.c_str(), nullptr, 10);
  }
  return std::nullopt;
}

std::vector<nlohmann::json> trace_events(const nlohmann::json& trace, std::string_view ph,
                                         std::string_view name) {
  std::vector<nlohmann::json> found;
  for (const nlohmann::json& event : trace["traceEvents"]) {
    if (event.value("ph", "") == ph && (name.empty() || event.value("name", "") == name)) {
      found.push_back(event);
    }
  }
  return found;
}

bool names_process(std::string_view text, std::uint64_t pid, std::string_view also) {
  const std::string name = "process " + std::to_string(pid);
  for (auto& l : lines_of(text)) {
    for (size_t at = l.find(name); at != std::string::npos; at = l.find(name, at + 1)) {
      size_t end = at + name.size();
      bool whole = end == l.size() || !std::isdigit(static_cast<unsigned char>(l[end]));
      if (whole && contains(l, also)) return true;
    }
  }
  return false;
}

void expect_lines_in_order(const RunResult& r, const std::vector<std::string>& lines) {
  auto have = lines_of(r.out);
  size_t next = 0;
  for (const auto& want : lines) {
    auto it = std::find(have.begin() + static_cast<std::ptrdiff_t>(next), have.end(), want);
    if (it == have.end()) {
      bool anywhere = std::find(have.begin(), have.end(), want) != have.end();
      ADD_FAILURE() << "expected the line \"" << want << "\""
                    << (anywhere ? " later in stdout (it came too early)" : " on stdout")
                    << describe(r);
      return;
    }
    next = static_cast<size_t>(it - have.begin()) + 1;
  }
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
// Fixture
// ---------------------------------------------------------------------------------------------

std::string lunatic_binary() {
  const char* other = std::getenv("LUNATIC_TEST_BIN");
  return other != nullptr && *other != '\0' ? other : LUNATIC_BIN;
}

void CliTest::SetUp() {
  cache_ = private_cache_ ? dir_ / "cache" : fs::path(SHARED_CACHE_DIR);
  home_ = dir_ / "home";
  work_ = dir_ / "work";
  fs::create_directories(home_);
  fs::create_directories(work_);
  ASSERT_TRUE(fs::exists(lunatic_binary()))
      << "the lunatic binary is not built: " << lunatic_binary();
}

void CliTest::TearDown() {
  if (HasFailure()) {
    std::cerr << "[ kept    ] " << dir_.string() << "\n";
    temp_.keep();
  }
}

RunOptions CliTest::with_test_environment(RunOptions opt) const {
  opt.env.try_emplace("XDG_CACHE_HOME", cache_.string());
  opt.env.try_emplace("HOME", home_.string());
  opt.env.try_emplace("LUNATIC_CLI_TEST_HOST_VAR", "must-not-leak");
  opt.env.try_emplace("FOO", "from-the-host-environment");
  if (opt.cwd.empty()) opt.cwd = work_.string();
  return opt;
}

RunResult CliTest::lunatic(std::vector<std::string> args, RunOptions opt) {
  args.insert(args.begin(), lunatic_binary());
  return run_command(args, with_test_environment(std::move(opt)));
}

std::vector<std::string> ProcessTest::background_environment() const {
  std::vector<std::string> result;
  for (const auto& [key, value] : with_test_environment({}).env) {
    if (value) result.push_back(key + "=" + *value);
  }
  return result;
}

RunResult ProcessTest::run_guest(std::string_view name, std::vector<std::string> args,
                                 std::vector<std::string> options, RunOptions opt) {
  std::vector<std::string> argv{"run"};
  argv.insert(argv.end(), options.begin(), options.end());
  argv.push_back(guest(name));
  argv.insert(argv.end(), args.begin(), args.end());
  return lunatic(std::move(argv), std::move(opt));
}

}  // namespace cli_test
