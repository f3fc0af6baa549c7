#include "runtime/reactor.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

namespace lunatic::runtime {

Reactor::Reactor() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)) {
  if (epoll_fd_ < 0) {
    std::perror("lunatic: epoll_create1");
    std::abort();
  }
}

Reactor::~Reactor() { ::close(epoll_fd_); }

bool Reactor::watch(int fd, bool read, bool write, std::uint64_t process_id) {
  epoll_event event{};
  event.events = EPOLLONESHOT | EPOLLRDHUP | (read ? EPOLLIN : 0u) | (write ? EPOLLOUT : 0u);
  event.data.u64 = process_id;
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &event) == 0) {
    ++watched_;
    return true;
  }
  if (errno == EEXIST && ::epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, fd, &event) == 0) return true;
  return false;
}

void Reactor::unwatch(int fd) {
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, fd, nullptr) == 0 && watched_ > 0) --watched_;
}

std::vector<std::uint64_t> Reactor::wait(int timeout_ms) {
  epoll_event events[64];
  int count = ::epoll_wait(epoll_fd_, events, 64, timeout_ms);
  std::vector<std::uint64_t> ready;
  for (int i = 0; i < count; ++i) ready.push_back(events[i].data.u64);
  return ready;
}

}  // namespace lunatic::runtime
