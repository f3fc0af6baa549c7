// Test helpers for the WASI unit tests: temporary directories, a context over one, and a
// deterministic stand-in for the scheduler's Blocking interface.
#pragma once

#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "runtime/blocking.hpp"
#include "wasi/errno_map.hpp"
#include "wasi/preopen_grant.hpp"
#include "wasi/wasi_context.hpp"

namespace lunatic::wasi {

// Lets GoogleTest print errno values by name.
inline void PrintTo(Errno e, std::ostream* os) {
  *os << errno_name(e) << " (" << static_cast<int>(e) << ")";
}

}  // namespace lunatic::wasi

namespace lunatic::wasi::testing {

// A directory made with mkdtemp and removed, with everything in it, on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp");
    pattern += "/wasi-test-XXXXXX";
    std::vector<char> buffer(pattern.begin(), pattern.end());
    buffer.push_back('\0');
    if (::mkdtemp(buffer.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = buffer.data();
  }
  ~TempDir() {
    ::nftw(
        path_.c_str(),
        [](const char* p, const struct stat*, int, struct FTW*) {
          ::remove(p);
          return 0;
        },
        64, FTW_DEPTH | FTW_PHYS);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

  void mkdir(const std::string& name) const { ::mkdir((*this / name).c_str(), 0755); }
  void write(const std::string& name, const std::string& contents) const {
    int fd = ::open((*this / name).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot create " + name);
    if (::write(fd, contents.data(), contents.size()) != static_cast<ssize_t>(contents.size())) {
      ::close(fd);
      throw std::runtime_error("cannot write " + name);
    }
    ::close(fd);
  }
  void symlink(const std::string& target, const std::string& name) const {
    if (::symlink(target.c_str(), (*this / name).c_str()) != 0) {
      throw std::runtime_error("cannot symlink " + name);
    }
  }
  bool exists(const std::string& name) const {
    struct stat st {};
    return ::lstat((*this / name).c_str(), &st) == 0;
  }

 private:
  std::string path_;
};

// A preopen of `host` as the command line's --dir grants it. Throws when it cannot be opened.
inline Preopen granted(const std::string& host, const std::string& guest) {
  auto preopen = open_preopen(host, guest);
  if (!preopen) throw std::runtime_error(preopen.error().message);
  return std::move(*preopen);
}

// The layout most sandbox tests use: <root>/outside.txt and <root>/sandbox/ as the preopen,
// with sandbox/inside.txt and sandbox/sub/.
struct Sandbox {
  TempDir root;
  std::unique_ptr<WasiContext> context;
  static constexpr std::uint32_t kDir = 3;  // the preopen's guest fd

  Sandbox() {
    root.write("outside.txt", "secret");
    root.mkdir("sandbox");
    root.mkdir("sandbox/sub");
    root.write("sandbox/inside.txt", "hello");
    WasiConfig config;
    config.args = {"prog"};
    config.preopens = {granted(root / "sandbox", "/data")};
    config.stdin_fd = -1;
    config.stdout_fd = -1;
    config.stderr_fd = -1;
    auto created = WasiContext::create(config);
    if (!created) throw std::runtime_error(created.error().message);
    context = std::move(created.value());
  }
  std::string in(const std::string& name) const { return root / ("sandbox/" + name); }
};

// Blocking for tests, which never waits: the test's time jumps straight to a deadline. A sleep
// only records its deadline; a descriptor wait polls once, and when nothing is ready it ends as
// if its deadline had passed. It counts calls, and can run a hook before each wait to play
// "another process".
class TestBlocking : public runtime::Blocking {
 public:
  int sleeps = 0;
  int yields = 0;
  int fd_waits = 0;
  std::optional<runtime::Clock::time_point> slept_until;  // the last sleep's deadline
  std::function<void()> before_wait;

  void sleep_until(runtime::Clock::time_point deadline) override {
    ++sleeps;
    slept_until = deadline;
  }
  void yield_now() override { ++yields; }
  void preempt_point() override {}
  bool wait_fds(std::span<const runtime::FdInterest> interests,
                std::span<runtime::FdReadiness> ready,
                std::optional<runtime::Clock::time_point> deadline) override {
    ++fd_waits;
    if (before_wait) before_wait();
    std::vector<struct pollfd> fds;
    for (const auto& i : interests) {
      fds.push_back({i.fd, static_cast<short>((i.read ? POLLIN : 0) | (i.write ? POLLOUT : 0)), 0});
    }
    const int n = ::poll(fds.data(), fds.size(), 0);
    // Nothing else runs meanwhile: a wait that nothing could end would never return.
    if (n == 0 && !deadline) throw std::runtime_error("TestBlocking: nothing became ready");
    for (std::size_t k = 0; k < fds.size(); ++k) {
      ready[k].readable = (fds[k].revents & POLLIN) != 0;
      ready[k].writable = (fds[k].revents & POLLOUT) != 0;
      ready[k].hangup = (fds[k].revents & (POLLHUP | POLLERR)) != 0;
    }
    return n > 0;
  }
  // Polls the source's descriptor directly: there is no reactor here to count readiness.
  bool wait_io(runtime::IoSource& source, runtime::IoDirection direction, std::uint64_t,
               std::optional<runtime::Clock::time_point> deadline) override {
    const runtime::FdInterest interest{source.fd(), direction == runtime::IoDirection::kRead,
                                       direction == runtime::IoDirection::kWrite};
    runtime::FdReadiness readiness;
    return wait_fds({&interest, 1}, {&readiness, 1}, deadline);
  }
};

}  // namespace lunatic::wasi::testing
