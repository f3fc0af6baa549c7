// Test helpers for the WASI unit tests: temporary directories, a context over one, and a
// deterministic stand-in for the scheduler's Blocking interface.
#pragma once

#include <poll.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "net/socket_address.hpp"
#include "runtime/blocking.hpp"
#include "shared/temp_dir.hpp"
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

using lunatic::testing::TempDir;

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
    // Without a deadline, wait a while: a loopback peer's bytes or connection can take a moment
    // to arrive. Nothing else runs meanwhile, so a wait that nothing ends would never return.
    const int timeout_ms = deadline ? 0 : 10'000;
    const int n = ::poll(fds.data(), fds.size(), timeout_ms);
    if (n == 0 && !deadline) throw std::runtime_error("TestBlocking: nothing became ready in 10 s");
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

// 127.0.0.1:port.
inline net::SocketAddress loopback(std::uint16_t port) {
  const std::uint8_t bytes[4] = {127, 0, 0, 1};
  return net::SocketAddress::ipv4(bytes, port);
}

}  // namespace lunatic::wasi::testing
