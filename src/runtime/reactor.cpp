#include "runtime/reactor.hpp"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <limits>

namespace lunatic::runtime {
namespace {
constexpr std::uint64_t kWakeMarker = std::numeric_limits<std::uint64_t>::max();
}

Reactor::Reactor()
    : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)), wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  epoll_event event{};
  event.events = EPOLLIN;
  event.data.u64 = kWakeMarker;
  if (epoll_fd_ < 0 || wake_fd_ < 0 || ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &event) != 0) {
    std::perror("lunatic: reactor");
    std::abort();
  }
}

Reactor::~Reactor() {
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

bool Reactor::watch(int fd, bool read, bool write, std::uint64_t process_id) {
  epoll_event event{};
  event.events = EPOLLONESHOT | EPOLLRDHUP | (read ? EPOLLIN : 0u) | (write ? EPOLLOUT : 0u);
  event.data.u64 = process_id;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) == 0) {
    watched_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  if (errno == EEXIST && ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) == 0) return true;
  return false;
}

void Reactor::unwatch(int fd) {
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr) == 0) {
    watched_.fetch_sub(1, std::memory_order_relaxed);
  }
}

std::vector<std::uint64_t> Reactor::wait(int timeout_ms) {
  epoll_event events[64];
  int count = ::epoll_wait(epoll_fd_, events, 64, timeout_ms);
  std::vector<std::uint64_t> ready;
  for (int i = 0; i < count; ++i) {
    if (events[i].data.u64 == kWakeMarker) {
      std::uint64_t drained;
      [[maybe_unused]] auto n = ::read(wake_fd_, &drained, sizeof drained);
      continue;
    }
    ready.push_back(events[i].data.u64);
  }
  return ready;
}

void Reactor::notify() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

}  // namespace lunatic::runtime
