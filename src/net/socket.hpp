// A nonblocking socket registered with the reactor for its whole life. An operation that would
// block suspends the calling process until the socket is ready (Blocking::wait_io), never the
// worker thread, so one process per connection costs no thread.
//
// Thread: a socket may be shared by processes on different workers (a cloned stream, a reader
// and a writer); each operation is one system call on the descriptor, which the kernel orders.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/unique_fd.hpp"
#include "runtime/blocking.hpp"
#include "runtime/io_source.hpp"

namespace lunatic::runtime {
class Reactor;
}

namespace lunatic::net {

// The outcome of an operation: its value, an errno, or the deadline passed.
template <class T>
struct OsResult {
  T value{};
  int error = 0;
  bool timed_out = false;
  bool ok() const { return error == 0 && !timed_out; }
};
// What a system call returned (a count or a descriptor, >= 0), or why it failed.
using IoResult = OsResult<ssize_t>;

// An OS error as Rust's std::io::Error shows it ("Connection refused (os error 111)"), the text
// a Lunatic guest reads back through lunatic::error.
std::string os_error_text(int error);

class Socket {
 public:
  // A new socket of `domain` and `type` (SOCK_STREAM, SOCK_DGRAM), nonblocking and
  // close-on-exec, registered with `reactor`. nullptr with errno set on failure.
  static std::shared_ptr<Socket> open(runtime::Reactor& reactor, int domain, int type);
  // Takes ownership of `fd` (already nonblocking, e.g. from accept4). nullptr with errno set.
  static std::shared_ptr<Socket> adopt(runtime::Reactor& reactor, UniqueFd fd);

  ~Socket() { source_->deregister(); }  // before fd_ closes
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  int fd() const { return fd_.get(); }

  // For operations that drive their own retries (TLS): the readiness count of a direction, and
  // a wait until it changes from `seen` (false: the deadline passed).
  std::uint64_t readiness(runtime::IoDirection direction) const {
    return source_->readiness(direction);
  }
  bool wait(runtime::Blocking& blocking, runtime::IoDirection direction, std::uint64_t seen,
            std::optional<runtime::Clock::time_point> deadline) {
    return blocking.wait_io(*source_, direction, seen, deadline);
  }

  // Connects to `address`, suspending the caller until the handshake ends or `deadline`.
  IoResult connect(runtime::Blocking& blocking, const sockaddr* address, socklen_t length,
                   std::optional<runtime::Clock::time_point> deadline);

  // Runs `attempt` (a system call: >= 0, or -1 with errno) until it does something other than
  // EAGAIN or EINTR, suspending the caller until the socket is ready in `direction` between
  // tries, up to `deadline`.
  template <class Attempt>
  IoResult io(runtime::Blocking& blocking, runtime::IoDirection direction,
              std::optional<runtime::Clock::time_point> deadline, Attempt&& attempt) {
    for (;;) {
      const std::uint64_t seen = source_->readiness(direction);
      const ssize_t result = attempt();
      if (result >= 0) return {result, 0, false};
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return {-1, errno, false};
      if (!blocking.wait_io(*source_, direction, seen, deadline)) return {-1, 0, true};
    }
  }

 private:
  Socket(UniqueFd fd, std::shared_ptr<runtime::IoSource> source)
      : fd_(std::move(fd)), source_(std::move(source)) {}

  UniqueFd fd_;
  std::shared_ptr<runtime::IoSource> source_;
};

}  // namespace lunatic::net
