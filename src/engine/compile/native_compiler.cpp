#include "engine/compile/native_compiler.hpp"

#include "common/file_io.hpp"
#include "engine/execution/stack_limits.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <unordered_set>
#include <vector>

namespace lunatic::engine {

extern const char kWasmRtHeader[];

namespace {

std::string last_lines(const std::string& text, size_t count) {
  if (text.empty()) return text;  // a compiler that failed without a word (killed, say)
  size_t pos = text.size();
  for (size_t i = 0; i < count && pos > 0; ++i) {
    pos = text.rfind('\n', pos - 1);
    if (pos == std::string::npos) return text;
  }
  return text.substr(pos + 1);
}

// The line where a compiler says it ran out of memory (gcc's cc1 and as, clang and its loader
// word it differently), or nothing.
std::optional<std::string> out_of_memory_line(const std::string& log) {
  for (const char* phrase : {"out of memory", "memory exhausted", "Cannot allocate memory",
                             "cannot map zero-fill pages"}) {
    const size_t at = log.find(phrase);
    if (at == std::string::npos) continue;
    const size_t start = log.rfind('\n', at);
    const size_t begin = start == std::string::npos ? 0 : start + 1;
    return log.substr(begin, log.find('\n', at) - begin);
  }
  return std::nullopt;
}

std::optional<std::filesystem::path> search_path(const std::string& name) {
  if (name.find('/') != std::string::npos) return std::filesystem::path(name);
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::filesystem::path candidate = std::filesystem::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return std::nullopt;
}

// The process groups of the compilers running now. The runtime may end with `_Exit` while
// compile threads run (cli/run_command.cpp); kill_running_compilers() then kills every group
// and refuses later spawns. The lock is held from the stop check through the spawn to the
// registration, so no compiler can start unseen in between.
struct RunningCompilers {
  std::mutex mutex;
  std::unordered_set<pid_t> groups;
  bool closed = false;
};

RunningCompilers& running_compilers() {
  static RunningCompilers running;
  return running;
}

Error cancelled(const std::string& label) {
  return make_error(Errc::kCancelled, "the compile of " + label + " was cancelled");
}

}  // namespace

const char* memory_mode_name(MemoryMode mode) {
  switch (mode) {
    case MemoryMode::kGuard:
      return "guard";
    case MemoryMode::kBounds:
      return "bounds";
    case MemoryMode::kAuto:
      return "auto";
  }
  return "?";
}

Expected<CCompiler> find_c_compiler() {
  std::vector<std::string> candidates;
  if (const char* cc = std::getenv("CC"); cc && *cc) candidates.emplace_back(cc);
  candidates.emplace_back(LUNATIC_C_COMPILER);
  candidates.emplace_back("cc");
  for (const auto& name : candidates) {
    auto found = search_path(name);
    if (!found) continue;
    std::error_code ec;
    auto real = std::filesystem::canonical(*found, ec);
    if (ec) continue;
    struct stat info {};
    if (::stat(real.c_str(), &info) != 0) continue;
    std::string identity = real.string() + ":" + std::to_string(info.st_size) + ":" +
                           std::to_string(info.st_mtim.tv_sec);
    const bool clang = real.filename().string().find("clang") != std::string::npos;
    return CCompiler{*found, identity, clang};
  }
  return make_error(Errc::kCompileFailed,
                    "no C compiler found (set CC, or install gcc: scripts/install-deps.sh)");
}

std::string compile_flags(MemoryMode mode, const CCompiler& compiler) {
  // Wasm functions stay native functions of their own (no inlining between them, no cold
  // parts split off, no merging of identical ones), so a fault's address names the function
  // it happened in. clang already inlined when it built the wasm; helpers that generated code
  // declares inline are still inlined. clang as the C compiler needs only the first: it
  // neither splits cold code nor merges functions unless asked, and refuses gcc's -fno-ipa-*.
  const char* no_inlining =
      compiler.clang ? "-fno-inline-functions "
                     : "-fno-inline-functions -fno-inline-small-functions "
                       "-fno-inline-functions-called-once -fno-reorder-blocks-and-partition "
                       "-fno-ipa-icf -fno-ipa-sra -fno-ipa-cp-clone ";
  return std::string("-O2 -fPIC -shared -fvisibility=hidden -fno-semantic-interposition ") +
         no_inlining +
         // Nothing unwinds through generated code (traps jump), and trap reports use the
         // shim's own function table: unwind tables and symbols only cost load time.
         "-fno-asynchronous-unwind-tables -fno-unwind-tables -s "
         "-fno-strict-aliasing -fstack-clash-protection -DNDEBUG "
         // Reported as a warning by gcc and clang alike (their spellings of -Werror for it
         // differ); the build fails on it below.
         "-Wframe-larger-than=" +
         std::to_string(kMaxGuestFrameBytes) +
         " -DLUNATIC_MEMORY_MODE_GUARD=" + (mode == MemoryMode::kGuard ? "1" : "0");
}

Expected<std::string> compile_shared_object(const CCompiler& compiler, const CompileJob& job) {
  const auto& dir = job.work_dir;
  for (const auto& [name, text] :
       {std::pair<const char*, std::string_view>{"wasm-rt.h", kWasmRtHeader},
        {"module.h", job.sources->module_h},
        {"module.c", job.sources->module_c},
        {"shim.c", job.sources->shim_c}}) {
    if (auto written = write_file_atomic(dir / name, text); !written) return written.error();
  }
  const std::string output = (dir / "module.so").string();
  const std::string include = "-I" + dir.string();
  const std::string source = (dir / "shim.c").string();
  std::vector<std::string> args{compiler.path.string()};
  std::istringstream flags(compile_flags(job.mode, compiler));
  for (std::string flag; flags >> flag;) args.push_back(flag);
  for (const char* extra : {"-Wl,-Bsymbolic", "-o"}) args.emplace_back(extra);
  args.push_back(output);
  args.push_back(include);
  args.push_back(source);
  args.emplace_back("-lm");
  if (job.memory_limit_bytes != 0) {
    // Through the shell, so the limit is in place before the compiler starts anything:
    // setting it from here after the spawn would race with the driver starting cc1.
    const std::uint64_t kib = std::max<std::uint64_t>(job.memory_limit_bytes / 1024, 1);
    args.insert(args.begin(),
                {"/bin/sh", "-c", "ulimit -d " + std::to_string(kib) + " && exec \"$0\" \"$@\""});
  }
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  const std::string log_path = (dir / "compiler.log").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  // A group of its own, so a stop can kill the driver and the compilers it runs (cc1, as).
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);
  RunningCompilers& running = running_compilers();
  pid_t pid = -1;
  int spawned = 0;
  {
    std::lock_guard guard(running.mutex);
    if (running.closed || job.stop.stop_requested()) {
      spawned = -1;
    } else {
      spawned = posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), environ);
      if (spawned == 0) running.groups.insert(pid);
    }
  }
  posix_spawnattr_destroy(&attributes);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned < 0) return cancelled(job.label);
  if (spawned != 0) {
    return make_error(Errc::kCompileFailed,
                      "cannot run " + args[0] + ": " + std::strerror(spawned));
  }
  // The driver leaves the registry before it is reaped, under its lock: while a stop (or the
  // runtime's exit) can still signal its group, the driver exists (as a zombie at least) and its
  // group id is not reused.
  bool killed = false;  // under running.mutex
  std::stop_callback kill_on_stop(job.stop, [&] {
    std::lock_guard guard(running.mutex);
    if (running.groups.contains(pid) && ::kill(-pid, SIGKILL) == 0) killed = true;
  });

  const auto start = std::chrono::steady_clock::now();
  const bool progress = job.show_progress && ::isatty(2);
  const std::string what = job.label + " (" + std::to_string((job.wasm_size + 1023) / 1024) +
                           " KiB) with " + compiler.path.filename().string() + " -O2";
  for (;;) {
    siginfo_t info{};
    const int waited = ::waitid(P_PID, static_cast<id_t>(pid), &info,
                                WEXITED | WNOWAIT | (progress ? WNOHANG : 0));
    if (waited == 0 && info.si_pid == pid) break;
    if (waited < 0 && errno != EINTR) return make_error(Errc::kCompileFailed, "waitid failed");
    if (progress) {
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      std::fprintf(stderr, "\rlunatic: compiling %s ... %.1f s", what.c_str(), seconds);
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  int status = 0;
  {
    std::lock_guard guard(running.mutex);
    running.groups.erase(pid);
  }
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (killed) return cancelled(job.label);
  if (progress) {
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "\rlunatic: compiled %s in %.1f s\n", what.c_str(), seconds);
  }
  auto log = read_file(log_path);
  const std::string log_text = log ? *log : std::string();
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    if (auto line = out_of_memory_line(log_text); line && job.memory_limit_bytes != 0) {
      return make_error(Errc::kCompileFailed,
                        "the C compiler ran out of memory on " + job.label + " (it may use " +
                            std::to_string(job.memory_limit_bytes >> 20) + " MiB): " + *line);
    }
    return make_error(Errc::kCompileFailed,
                      "the C compiler failed on " + job.label + ":\n" + last_lines(log_text, 20));
  }
  // Stack exhaustion is caught only if no frame is larger than the stack margin allows.
  if (const size_t at = log_text.find("-Wframe-larger-than"); at != std::string::npos) {
    // The compiler's own words, without the path of the scratch file.
    const size_t warning = log_text.rfind("warning: ", at);
    const size_t start = warning == std::string::npos ? at : warning + 9;
    const std::string detail = log_text.substr(start, log_text.find('\n', at) - start);
    return make_error(Errc::kUnsupportedFeature,
                      job.label + ": a function needs a native stack frame larger than " +
                          std::to_string(kMaxGuestFrameBytes) + " bytes (" + detail + ")");
  }
  return read_file(output);
}

void kill_running_compilers() {
  RunningCompilers& running = running_compilers();
  std::lock_guard guard(running.mutex);
  running.closed = true;
  for (const pid_t group : running.groups) ::kill(-group, SIGKILL);
}

}  // namespace lunatic::engine
